/** The HTTP API (OpenAPI at /openapi.json), live events, metrics, and the dashboard. */
export {
  startServer,
  createApiServer,
  API_VERSION,
  type ServerOptions,
  type RunningServer,
  type ApiServer,
} from './server.js';
export {
  ROLES,
  TokenEntry,
  TokensFile,
  generateTokens,
  hashToken,
  parseTokensFile,
  type Role,
  type Principal,
} from './access.js';
