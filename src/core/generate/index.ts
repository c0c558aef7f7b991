export {
  generateFleet,
  DEFAULT_GUESTS_PER_HOST,
  MAX_HOSTS,
  MAX_GUESTS_PER_HOST,
  type GenerateOptions,
} from './generate.js';
export { fleetToDocument } from './document.js';
export { jsonChunks } from './serialize.js';
export { MIN_UTILISATION, MAX_UTILISATION } from './packing.js';
export { newestKnownUpdates } from './updates.js';
