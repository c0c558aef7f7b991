import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NotFound } from '../../core/errors.js';
import { decodeMigrationId, encodeMigrationId, migrationStatus, novaTime, phaseOf } from './migration.js';
import { MigrationList } from './schemas.js';

const migrations = (name: string) =>
  MigrationList.parse(JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')))
    .migrations;

describe('nova migrations as MigrationStatus', () => {
  it('round-trips ids and refuses ids that are not nova’s', () => {
    const key = { server: 'e470e282-acc1-485b-8e81-1ba2c4ab33a1', migration: 15 };
    expect(decodeMigrationId(encodeMigrationId(key))).toEqual(key);
    expect(() => decodeMigrationId('no-such-migration')).toThrow(NotFound);
    expect(() => decodeMigrationId('nova:not-a-uuid:3')).toThrow(NotFound);
  });

  it('maps every live-migration status to a phase', () => {
    expect(['accepted', 'queued', 'preparing'].map(phaseOf)).toEqual(['queued', 'queued', 'queued']);
    expect(phaseOf('running')).toBe('precopy');
    expect(phaseOf('post-migrating')).toBe('switchover');
    expect(phaseOf('completed')).toBe('completed');
    expect(phaseOf('cancelled')).toBe('aborted');
    expect(phaseOf('error')).toBe('failed');
    expect(phaseOf('failed')).toBe('failed');
    expect(phaseOf('something-new')).toBe('queued');
  });

  it('reads nova’s zone-less timestamps as UTC', () => {
    expect(novaTime('2026-11-22T13:24:08.968310')).toBe(Date.UTC(2026, 10, 22, 13, 24, 8, 968));
    expect(novaTime('2026-11-22T13:24:08Z')).toBe(Date.UTC(2026, 10, 22, 13, 24, 8));
  });

  it('turns a recorded completed migration into a finished status', () => {
    const [record] = migrations('os-migrations-conf-1.json');
    const status = migrationStatus(record!, undefined, undefined);
    expect(status).toMatchObject({
      id: `nova:e470e282-acc1-485b-8e81-1ba2c4ab33a1:15`,
      guest: 'e470e282-acc1-485b-8e81-1ba2c4ab33a1',
      source: 'fake-compute-4',
      target: 'fake-compute-3',
      phase: 'completed',
      finished: true,
      requestedAt: novaTime('2026-11-22T13:24:08.968310'),
      endedAt: novaTime('2026-11-22T13:24:14.987322'),
    });
    expect(status.downtimeMs).toBeUndefined();
  });

  it('reports a refused migration as failed, with no target and the reason given', () => {
    const refused = migrations('os-migrations-aa-1.json').find((m) => m.status === 'error')!;
    const status = migrationStatus(refused, undefined, 'No valid host was found.');
    expect(status).toMatchObject({
      phase: 'failed',
      finished: true,
      target: '',
      reason: 'No valid host was found.',
    });
  });

  it('adds memory and disk progress while running', () => {
    const [record] = migrations('os-migrations-conf-1.json');
    const status = migrationStatus(
      { ...record!, status: 'running' },
      {
        status: 'running',
        memory_processed_bytes: 512 * 1024 * 1024,
        memory_remaining_bytes: 64 * 1024 * 1024,
        disk_processed_bytes: null,
        disk_remaining_bytes: 0,
      },
      undefined,
    );
    expect(status).toMatchObject({
      phase: 'precopy',
      finished: false,
      transferredMiB: 512,
      remainingMiB: 64,
    });
    expect(status.endedAt).toBeUndefined();
  });
});
