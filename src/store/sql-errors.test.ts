import { describe, expect, it } from 'vitest';
import { BadInput, Conflict, NotFound, PermissionDenied, TimedOut, Unavailable } from '../core/errors.js';
import { isTransient, toStoreError } from './sql-errors.js';

const cases: [string, unknown, new (...args: never[]) => Error][] = [
  ['unique violation', { code: '23505', message: 'duplicate key' }, Conflict],
  ['append-only trigger', { code: '23001', message: 'the audit trail is append-only' }, Conflict],
  [
    'serialization failure that outlived its retries',
    { code: '40001', message: 'could not serialize' },
    Unavailable,
  ],
  ['server shutting down', { code: '57P01', message: 'terminating connection' }, Unavailable],
  ['server starting up', { code: '57P03', message: 'the database system is starting up' }, Unavailable],
  ['connection failure', { code: '08006', message: 'connection failure' }, Unavailable],
  ['too many connections', { code: '53300', message: 'too many clients' }, Unavailable],
  [
    'refused socket',
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' }),
    Unavailable,
  ],
  [
    'refused on every address',
    Object.assign(new AggregateError([{ code: 'ECONNREFUSED', message: 'refused' }], ''), {}),
    Unavailable,
  ],
  ['connection cut', new Error('Connection terminated unexpectedly'), Unavailable],
  ['closed embedded database', new Error('PGlite is closed'), Unavailable],
  ['pool connect timeout', new Error('timeout exceeded when trying to connect'), TimedOut],
  ['statement timeout', { code: '57014', message: 'canceling statement due to statement timeout' }, TimedOut],
  ['bad password', { code: '28P01', message: 'password authentication failed' }, PermissionDenied],
  ['no privilege', { code: '42501', message: 'permission denied for table events' }, PermissionDenied],
  ['no such database', { code: '3D000', message: 'database "x" does not exist' }, NotFound],
  ['bad value', { code: '22P02', message: 'invalid input syntax for type uuid' }, BadInput],
];

describe('database errors in the taxonomy', () => {
  it.each(cases)('%s', (_, error, expected) => {
    const mapped = toStoreError(error);
    expect(mapped).toBeInstanceOf(expected);
    expect((mapped as Error).cause).toBe(error);
  });

  it('passes on what is already in the taxonomy, and bugs (a syntax error) unchanged', () => {
    const conflict = new Conflict('lost the lease');
    expect(toStoreError(conflict)).toBe(conflict);
    const syntax = { code: '42601', message: 'syntax error at or near "SELEC"' };
    expect(toStoreError(syntax)).toBe(syntax);
  });

  it('knows which failures a transaction may simply run again', () => {
    expect(isTransient({ code: '40001' })).toBe(true);
    expect(isTransient({ code: '40P01' })).toBe(true);
    expect(isTransient({ code: '23505' })).toBe(false);
  });
});
