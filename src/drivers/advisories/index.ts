export { loadAdvisories, type LoadOptions, type LoadedAdvisories } from './load.js';
