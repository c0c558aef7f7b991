export type {
  Advisory,
  AdvisoryKind,
  AffectedPackage,
  BinaryPackage,
  Cvss,
  CveSeverity,
  Ecosystem,
  LivepatchCoverage,
  Severity,
} from './model.js';
export { SEVERITIES } from './model.js';
export { parseAdvisory, parseAdvisoryText, type ParsedAdvisory } from './parse.js';
export { mergeAdvisories } from './merge.js';
export { parseEcosystem } from './ecosystem.js';
export { compareCves } from './cves.js';
export { higher, severityOfScore } from './severity.js';
