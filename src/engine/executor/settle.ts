import { Conflict, HvpatchError, TimedOut, Unavailable } from '../../core/errors.js';
import type { MigrationStatus } from '../../core/ports.js';
import type { WorkerContext } from './context.js';
import { backoff } from './policy.js';

/**
 * Waits for a migration to end; one still running past the policy's timeout hangs and is
 * aborted. A wait that timed out is not proof of a hang (the answer may have been lost), so
 * the migration's own age decides. Resolves undefined when it could not be told.
 */
export async function settleMigration(
  ctx: WorkerContext,
  id: string,
  onHung: (status: MigrationStatus) => Promise<void>,
): Promise<MigrationStatus | undefined> {
  const { platform, policy, clock } = ctx;
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    try {
      return await platform.waitForMigration(id, policy.migrationTimeoutMs);
    } catch (error) {
      if (!(error instanceof HvpatchError) || !error.retryable) throw error;
    }
    try {
      const status = await platform.migrationStatus(id);
      if (status.finished) return status;
      if (clock.now() - status.requestedAt >= policy.migrationTimeoutMs) {
        await onHung(status);
        await platform.abortMigration(id);
      }
    } catch (error) {
      // Too late to abort (switching over): it ends by itself, so wait on.
      if (!(error instanceof Conflict || error instanceof TimedOut || error instanceof Unavailable))
        throw error;
    }
  }
  return undefined;
}

/** Waits for a rebooting host to answer again, up to the policy's reboot timeout. */
export async function settleReboot(ctx: WorkerContext, host: string, since: number): Promise<boolean> {
  const { agent, policy, clock } = ctx;
  for (let attempt = 0; ; attempt++) {
    try {
      await agent.health(host);
      return true;
    } catch (error) {
      if (!(error instanceof HvpatchError) || !error.retryable) throw error;
    }
    if (clock.now() - since >= policy.rebootTimeoutMs) return false;
    await clock.sleep(Math.min(backoff(policy, attempt), policy.rebootTimeoutMs));
  }
}
