export { optimumModel, OPTIMUM_MAX_HOSTS, type OptimumModel } from './model.js';
