/**
 * Driver errors (node-postgres, PGlite, the socket underneath) to the one error taxonomy, in
 * this one place. Anything not recognised is a bug in a query and is passed on unchanged.
 */
import {
  BadInput,
  Conflict,
  HvpatchError,
  NotFound,
  PermissionDenied,
  TimedOut,
  Unavailable,
} from '../core/errors.js';

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  syscall?: unknown;
  errors?: unknown;
}

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

/** Messages node-postgres and PGlite use for a connection that is gone, which carry no code. */
const GONE = [
  /connection terminated/i,
  /connection error and is not queryable/i,
  /not queryable/i,
  /after calling end on the pool/i,
  /pglite is closed/i,
];

const TIMEOUTS = [/timeout exceeded when trying to connect/i, /query read timeout/i];

/** Serialization failures and deadlocks: the transaction did nothing and may simply be run again. */
export function isTransient(error: unknown): boolean {
  const code = (error as ErrorLike | null)?.code;
  return code === '40001' || code === '40P01';
}

export function toStoreError(error: unknown): unknown {
  if (error instanceof HvpatchError || typeof error !== 'object' || error === null) return error;
  const { code, message, syscall, errors } = error as ErrorLike;
  const text = typeof message === 'string' ? message : '';
  const options = { cause: error };
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))
    return fromSqlState(code, text, options) ?? error;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || syscall === 'connect'))
    return new Unavailable(`database unreachable: ${text || code}`, options);
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (Array.isArray(errors) && errors.some((inner) => toStoreError(inner) instanceof Unavailable))
    return new Unavailable(`database unreachable on every address: ${text || String(code)}`, options);
  if (TIMEOUTS.some((pattern) => pattern.test(text)))
    return new TimedOut(`database timed out: ${text}`, options);
  if (GONE.some((pattern) => pattern.test(text)))
    return new Unavailable(`database connection lost: ${text}`, options);
  return error;
}

function fromSqlState(code: string, text: string, options: { cause: unknown }): HvpatchError | undefined {
  const sqlClass = code.slice(0, 2);
  if (sqlClass === '08' || sqlClass === '53' || code === '57P01' || code === '57P02' || code === '57P03')
    return new Unavailable(`database unavailable (${code}): ${text}`, options);
  if (isTransient({ code }))
    return new Unavailable(
      `database too busy to serialize this change, try again (${code}): ${text}`,
      options,
    );
  if (code === '57014' || code === '55P03')
    return new TimedOut(`database timed out (${code}): ${text}`, options);
  if (sqlClass === '23') return new Conflict(`refused by the database (${code}): ${text}`, options);
  if (sqlClass === '22')
    return new BadInput([{ message: `refused by the database (${code}): ${text}` }], options);
  if (sqlClass === '28' || code === '42501')
    return new PermissionDenied(`database refused access: ${text}`, options);
  if (code === '3D000') return new NotFound(`no such database: ${text}`, options);
  return undefined;
}
