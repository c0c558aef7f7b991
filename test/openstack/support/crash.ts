/**
 * A host that crashes in the middle of a live migration from it, on the real lab: the
 * source's nova-compute is killed (openstack/compute crash, SIGKILL) once Nova shows the
 * migration `running`, then started again. On start, nova-compute's init_host finds the
 * server still `migrating` and sets that migration to `error` (ComputeManager._reset_live_migration).
 * Nova 26 leaves the source's allocation held by that migration in placement (on the lab it
 * outlives the server): `releaseCrashed` frees it, as an operator would.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { novaLiveMigrations, type Admin } from './admin.js';
import { LAB_DIR } from './agent.js';

const run = promisify(execFile);

export interface Crash {
  /** The migration that was running when the compute was killed. */
  migration: number;
  /** Its uuid: the placement consumer that holds its room on the source. */
  uuid: string;
  /** Its target. */
  target: string;
}

/**
 * Waits (real time) for a live migration of `server` from `host` to be `running`, kills
 * `host`'s nova-compute and starts it again. Rejects if no migration runs within the timeout.
 */
export async function crashSourceWhenRunning(
  admin: Admin,
  server: string,
  host: string,
  timeoutMs = 180_000,
): Promise<Crash> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = (await novaLiveMigrations(admin, server)).find(
      (m) => m.status === 'running' && m.source_compute === host,
    );
    if (running) {
      await run('bash', [join(LAB_DIR, 'compute'), 'crash', host]);
      await run('bash', [join(LAB_DIR, 'compute'), 'start', host]);
      return { migration: running.id, uuid: running.uuid, target: running.dest_compute ?? '' };
    }
    if (Date.now() > deadline)
      throw new Error(`no live migration of ${server} from ${host} ran within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Frees what Nova left allocated on the source to the crashed migration; nothing if Nova freed it. */
export async function releaseCrashed(admin: Admin, crash: Crash): Promise<void> {
  await admin.placement('DELETE', `/allocations/${crash.uuid}`).catch((error: unknown) => {
    if (!/HTTP 404/.test(String(error))) throw error;
  });
}
