import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { Unavailable } from '../core/errors.js';
import { createDatabase } from '../../test/support/postgres.js';
import { sharedPostgres } from '../../test/support/store-targets.js';
import { openStore } from './open.js';
import { samplePlan } from './plan-fixture.js';

const T0 = Date.parse('2026-01-05T22:00:00Z');
const ADMIN = { actor: 'alice', reason: 'test' };

/** Runs test/support/store-writer.ts and kills it with SIGKILL once it reported `lines` commits. */
async function writeUntilKilled(dataDir: string, campaignId: string, lines: number): Promise<string[]> {
  const writer = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/store-writer.ts', dataDir, campaignId],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const committed: string[] = [];
  const exited = new Promise((resolve) => writer.once('exit', resolve));
  for await (const line of createInterface({ input: writer.stdout })) {
    committed.push(line);
    if (committed.length === lines) writer.kill('SIGKILL');
  }
  expect(await exited).toBe(null);
  expect(writer.signalCode).toBe('SIGKILL');
  return committed;
}

describe('openStore', () => {
  it('creates a data directory on first use; what a process committed there survives its kill -9', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'hvpatch-store-')), 'data');
    try {
      const first = await openStore({ dataDir });
      const { id } = await first.createCampaign(samplePlan({ hosts: 40, stageless: true }), 'alice', T0);
      await first.setCampaignState(id, 'approved', ADMIN, T0);
      await first.setCampaignState(id, 'running', ADMIN, T0);
      await first.close();

      const committed = await writeUntilKilled(dataDir, id, 25);

      const again = await openStore({ dataDir });
      try {
        const actions = await again.actions(id);
        const states = new Map(actions.map((a) => [a.seq, a.state]));
        for (const line of committed) {
          const [what, seq] = line.split(' ');
          if (what === 'started') expect(['started', 'succeeded']).toContain(states.get(Number(seq)));
          if (what === 'succeeded') expect(states.get(Number(seq))).toBe('succeeded');
        }
        // Each write is whole or absent: every state change has its event, and no more.
        const events = await again.events(id, { limit: 10_000 });
        const touched = actions.filter((a) => a.state !== 'pending');
        expect(events.filter((e) => e.kind === 'action-started')).toHaveLength(touched.length);
        expect(events.filter((e) => e.kind === 'action-succeeded')).toHaveLength(
          actions.filter((a) => a.state === 'succeeded').length,
        );
        // Once the dead worker's lease has expired, another takes the host over, and what was
        // in flight there is now known to be unknown, for the engine to ask the platform.
        const inFlight = actions.find((a) => a.state === 'started');
        if (inFlight !== undefined) {
          const lease = await again.acquireHostLease(id, inFlight.host, 'heir', 60_000, T0 + 3_600_000);
          expect(lease).toMatchObject({ epoch: 2 });
          expect(
            (await again.actions(id, { host: inFlight.host })).find((a) => a.seq === inFlight.seq),
          ).toMatchObject({
            state: 'unknown',
          });
        }
      } finally {
        await again.close();
      }
    } finally {
      await rm(dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('opens a PostgreSQL server by URL, bringing its schema up to date', async () => {
    const url = await createDatabase(sharedPostgres(), 'open');
    const store = await openStore({ url });
    try {
      const { id } = await store.createCampaign(samplePlan(), 'alice', T0);
      expect((await store.events(id)).map((e) => e.kind)).toEqual(['campaign-created']);
      expect(store.db.kind).toBe('postgres');
    } finally {
      await store.close();
    }
  });

  it('fails at once with Unavailable when no server answers', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    await expect(openStore({ url: `postgres://postgres@127.0.0.1:${port}/postgres` })).rejects.toBeInstanceOf(
      Unavailable,
    );
  });
});
