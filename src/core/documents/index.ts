export { parseSource, type SourceDocument, type FieldPath } from './source.js';
export { formatPath, describeIssues } from './issues.js';
export {
  detectKind,
  validateFleetDocument,
  validatePolicyDocument,
  checkPolicyAgainstFleet,
  locate,
  type DocumentKind,
} from './validate.js';
export { jsonSchemaFor } from './schema.js';
