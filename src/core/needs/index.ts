export { computeNeeds, type NeedsOptions } from './compute.js';
export {
  summariseCompliance,
  SEVERITY_BUCKETS,
  type ComplianceOptions,
  type ComplianceReport,
  type CveCompliance,
  type HostCompliance,
  type HostNotInEffect,
  type AdvisoryUsed,
  type SeverityBucket,
  type SeverityCount,
} from './compliance.js';
export {
  DISRUPTION_CLASSES,
  type DisruptionClass,
  type HostNeeds,
  type LivepatchCover,
  type LivepatchNotice,
  type Need,
  type NotInEffect,
} from './model.js';
export { DEFAULT_DISRUPTION_RULES, createClassifier, type DisruptionRule, type RuleClass } from './rules.js';
export { DisruptionRulesFile, rulesOfFile } from './rules-file.js';
export { computeComponentNeeds, type ComponentNeeds } from './component.js';
