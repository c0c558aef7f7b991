export { checkDebianVersion, compareDebianVersions, parseDebianVersion } from './debian.js';
export type { DebianVersion, DebianVersionProblem } from './debian.js';
