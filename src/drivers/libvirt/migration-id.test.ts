import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMigrationId, encodeMigrationId } from './migration-id.js';

describe('migration ids', () => {
  it('carry guest, source, target and request time, whatever the names hold', () => {
    fc.assert(
      fc.property(
        fc.record({
          guest: fc.string({ minLength: 1 }),
          source: fc.string({ minLength: 1 }),
          target: fc.string({ minLength: 1 }),
          requestedAt: fc.integer({ min: 0, max: 2 ** 52 }),
        }),
        (key) => {
          expect(decodeMigrationId(encodeMigrationId(key))).toEqual(key);
        },
      ),
    );
    expect(encodeMigrationId({ guest: 'vm1', source: 'lab1', target: 'lab2', requestedAt: 5 })).toBe(
      'lv/vm1/lab1/lab2/5',
    );
  });

  it('are not made up from anything else', () => {
    for (const id of ['no-such-migration', 'lv/a/b/c', 'lv/a/b/c/d', 'lv/%E0%A4%A/b/c/1', 'mig-1']) {
      expect(decodeMigrationId(id)).toBeUndefined();
    }
  });
});
