import { Conflict, HvpatchError } from '../../core/errors.js';
import type { PlanAction } from '../../core/plan/index.js';
import type { ActionRecord, HostLease, HostState } from '../../store/index.js';
import type { WorkerContext } from './context.js';
import { backoff } from './policy.js';
import { perform } from './perform.js';
import { probe } from './probe.js';
import { bootIdBefore, isOpen, REBOOT_REQUESTED } from './reconcile.js';
import type { ActionResult } from './result.js';

/** What a host's runner needs from the worker that owns it. */
export interface HostControl {
  /** Reads the campaign's state again (an abort must be seen before a reboot, not a round later). */
  refresh(): Promise<void>;
  /** Why hosts in flight must be brought back to service now (a halt, an abort), if they must. */
  recallReason(): string | undefined;
  hostFailed(host: string, reason: string): Promise<void>;
  migrationFailed(host: string, why: string): Promise<void>;
}

/** Appended actions say why in `reason`; these prefixes tell the runner what they are for. */
const RECOVERY = 'recovery: ';
const GUARD = 'guard: ';
const isRecovery = (a: ActionRecord) => a.spec.reason?.startsWith(RECOVERY) === true;

/**
 * Works one leased host through its actions in order, durably: each action is `started` in
 * the store before its driver call and finished after it, and whatever was left started or
 * unknown by a dead worker is first settled by asking the platform. Returns when the host is
 * done, failed, deferred, or when the host must wait (its lease lost, the campaign stopped).
 */
export async function runHost(
  ctx: WorkerContext,
  lease: HostLease,
  control: HostControl,
  actions?: ActionRecord[],
): Promise<void> {
  try {
    await new HostRunner(ctx, lease, control).run(actions);
  } catch (error) {
    // The store said no: the lease was lost or the campaign stopped. The scheduler looks again.
    if (!(error instanceof Conflict)) throw error;
    await ctx.store
      .recordEvent(
        {
          campaignId: ctx.campaign,
          actor: ctx.worker,
          kind: 'host-interrupted',
          host: lease.host,
          reason: error.message,
        },
        ctx.clock.now(),
      )
      .catch((e: unknown) => {
        if (!(e instanceof HvpatchError)) throw e;
      });
  }
}

class HostRunner {
  private actions: ActionRecord[] = [];
  /** The last outcome recorded, while the store has not yet confirmed it (see `execute`). */
  private finishing: Promise<void> | undefined;
  /**
   * Brought back once per recall: a host whose planned work was all done has nothing to skip
   * or append, so "recovering" never shows in its actions and would be asked for again forever.
   */
  private recalled = false;
  private readonly host: string;

  constructor(
    private readonly ctx: WorkerContext,
    private readonly lease: HostLease,
    private readonly control: HostControl,
  ) {
    this.host = lease.host;
  }

  private now = () => this.ctx.clock.now();

  /** `actions`: the host's actions as read under this lease, if they were (by its admission). */
  async run(actions?: ActionRecord[]): Promise<void> {
    const { store } = this.ctx;
    const state = this.ctx.hostStates.get(this.host);
    if (state !== 'pending' && state !== 'active') return store.releaseLease(this.lease, this.now());
    if (state === 'pending') await this.setState('active', 'its turn came');
    this.actions = actions ?? (await store.actions(this.ctx.campaign, { host: this.host }));
    for (const action of this.actions.filter(isOpen)) await this.reconcile(action);

    for (;;) {
      const failure = this.actions.find((a) => a.state === 'failed' && !isRecovery(a));
      const recovering = this.actions.some((a) => isRecovery(a) || a.state === 'skipped');
      if (failure !== undefined && !recovering) {
        if (failure.kind === 'reboot' || failure.kind === 'verify') return this.fail(failure);
        await this.recover(`action ${failure.seq} (${failure.kind}) failed: ${describe(failure)}`);
        continue;
      }
      if (firstPending(this.actions)?.kind === 'reboot') await this.control.refresh();
      const recall = this.control.recallReason();
      if (recall !== undefined && !recovering && !this.recalled) {
        this.recalled = true;
        await this.recover(recall);
        continue;
      }
      const next = this.actions.find((a) => a.state === 'pending' && (!recovering || isRecovery(a)));
      if (next === undefined) return this.finish(failure);
      if (next.kind === 'reboot') {
        const held = await this.guardReboot(next);
        if (held !== undefined) continue;
      }
      await this.execute(next);
    }
  }

  /** Settles an action a dead or interrupted worker left open, by what the platform says. */
  private async reconcile(action: ActionRecord): Promise<void> {
    const { store } = this.ctx;
    const boot = action.kind === 'reboot' ? await bootIdBefore(this.ctx, this.lease, action.seq) : undefined;
    const seen = await this.ask(() => probe(this.ctx, action, boot));
    if (seen.state === 'not-done') {
      this.replace(
        await store.requeueAction(this.lease, action.seq, 'the platform shows it did not happen', this.now()),
      );
      return;
    }
    const result: ActionResult =
      seen.state === 'impossible'
        ? { outcome: 'failed', reason: seen.reason }
        : seen.state === 'done'
          ? { outcome: 'succeeded', detail: { reconciled: true, ...seen.detail } }
          : await this.perform(action, boot);
    this.replace(await store.finishAction(this.lease, action.seq, recorded(result), this.now()));
  }

  /**
   * Starts the action durably, then calls the driver. Its outcome is recorded without waiting,
   * so that the next action's start, asked for meanwhile, can join it in one group commit (one
   * transaction for both); anything else that writes about the host waits for it first
   * (`flush`), and no driver call is made before both are durable.
   */
  private async execute(action: ActionRecord): Promise<void> {
    const { store, agent } = this.ctx;
    let boot: string | undefined;
    if (action.kind === 'reboot') {
      const health = await this.readBeforeReboot(action, () => agent.health(this.host));
      if (health === undefined) return;
      boot = health.bootId;
    }
    const starting = store.startAction(
      this.lease,
      action.seq,
      this.now(),
      boot === undefined
        ? undefined
        : {
            kind: REBOOT_REQUESTED,
            reason: 'boot id before the reboot, to tell later whether it happened',
            data: { bootId: boot },
          },
    );
    // Awaited below or dropped with the runner's error: never an unhandled rejection meanwhile.
    starting.catch(() => undefined);
    await this.flush();
    const started = await starting;
    this.replace(started);
    const result = recorded(await this.perform(started, boot));
    this.finishing = store.finishAction(this.lease, action.seq, result, this.now()).then((record) => {
      this.replace(record);
    });
    this.finishing.catch(() => undefined);
    // What the runner decides next from, until the store's record replaces it.
    this.replace({ ...started, state: result.outcome, detail: result.detail ?? null });
  }

  /**
   * A read the reboot depends on (its guests, its boot id). A host that no longer answers it,
   * after the retries, cannot be rebooted safely and would be taken up again forever: its
   * reboot is recorded as failed (undefined is returned), so the host is reported and left
   * out of service. Store errors, a lost lease among them, are not the host's and propagate.
   */
  private async readBeforeReboot<T>(reboot: ActionRecord, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.ask(read);
    } catch (error) {
      if (!(error instanceof HvpatchError)) throw error;
      const { store } = this.ctx;
      await this.flush();
      this.replace(await store.startAction(this.lease, reboot.seq, this.now()));
      const reason = `the host did not answer before its reboot: ${error.message}`;
      this.replace(
        await store.finishAction(this.lease, reboot.seq, recorded({ outcome: 'failed', reason }), this.now()),
      );
      return undefined;
    }
  }

  /** Waits for the outcome recorded last to be durable (or throws why it is not). */
  private async flush(): Promise<void> {
    const finishing = this.finishing;
    this.finishing = undefined;
    await finishing;
  }

  private perform(action: ActionRecord, boot: string | undefined): Promise<ActionResult> {
    return perform(this.ctx, action, {
      lease: this.lease,
      ...(boot === undefined ? {} : { bootIdBefore: boot }),
      onMigrationFailure: (why) => this.control.migrationFailed(this.host, why),
    });
  }

  /**
   * Safety invariant 1 at the last moment, against the platform's guests, not the plan's:
   * any guest still running on the host (created or moved here since planning, started by
   * someone) is live-migrated away by an appended action, or the host is brought back.
   */
  private async guardReboot(reboot: ActionRecord): Promise<string | undefined> {
    const onHost = await this.readBeforeReboot(reboot, () => this.ctx.platform.listGuests(this.host));
    if (onHost === undefined) return 'the host stopped answering';
    const running = onHost.filter((g) => g.state !== 'stopped');
    if (running.length === 0) return undefined;
    const stuck = running.filter((g) => {
      const known = this.ctx.guestsById.get(g.guest);
      return known !== undefined && known.migratable !== 'live';
    });
    if (stuck.length > 0) {
      const reason = `guests ${stuck.map((g) => g.guest).join(', ')} run on the host, cannot be live-migrated and are not planned to stop`;
      await this.event('guard-held', reason, { data: { guests: stuck.map((g) => g.guest) } });
      await this.recover(reason);
      return reason;
    }
    const planned = new Set(
      this.actions
        .filter((a) => a.kind === 'migrate' && a.state === 'pending' && a.spec.reason?.startsWith(GUARD))
        .map((a) => a.guest),
    );
    const missing = running.filter((g) => !planned.has(g.guest));
    if (missing.length > 0) {
      const reason = `${GUARD}guests ${missing.map((g) => g.guest).join(', ')} run on the host though not planned to; moving them before the reboot`;
      const moves = missing.map((g): PlanAction => ({
        kind: 'migrate',
        host: this.host,
        guest: g.guest,
        startS: 0,
        endS: 0,
        reason,
      }));
      await this.flush();
      const added = await this.ctx.store.appendActions(this.lease, moves, reason, this.now());
      this.actions.push(...added);
    }
    for (const move of this.actions.filter(
      (a) => a.kind === 'migrate' && a.state === 'pending' && a.spec.reason?.startsWith(GUARD),
    ))
      await this.execute(move);
    // Looked at again on the next round: a failed move brings the host back, a new guest is moved too.
    return 'guarded';
  }

  /**
   * Brings the host back to service: what was stopped is started, the host re-enabled, as
   * appended actions so that a crash halfway resumes them; planned actions not yet begun are
   * skipped. On a recall (abort, halt) installed but not yet active packages are rolled back.
   */
  private async recover(reason: string): Promise<void> {
    const { store } = this.ctx;
    await this.flush();
    const done = (kind: string, guest?: string) =>
      this.actions.some(
        (a) => a.kind === kind && a.state === 'succeeded' && (guest === undefined || a.guest === guest),
      );
    const recall = this.control.recallReason();
    // Only a host the plan meant to reboot is left with packages not in effect; for one whose
    // plan was to install and defer activation, the install is its work done, not a half step.
    const rebootPlanned = this.actions.some((a) => a.kind === 'reboot');
    if (recall !== undefined && rebootPlanned && done('install') && !done('reboot')) await this.rollback();
    const back: PlanAction[] = [];
    for (const stop of this.actions.filter((a) => a.kind === 'stop-guest' && a.state === 'succeeded'))
      if (!done('start-guest', stop.guest!))
        back.push({
          kind: 'start-guest',
          host: this.host,
          guest: stop.guest!,
          startS: 0,
          endS: 0,
          reason: RECOVERY + reason,
        });
    if (done('disable') && !done('enable'))
      back.push({ kind: 'enable', host: this.host, startS: 0, endS: 0, reason: RECOVERY + reason });
    // Appended before anything is skipped, so that a crash in between cannot make the host look done.
    if (back.length > 0)
      this.actions.push(...(await store.appendActions(this.lease, back, RECOVERY + reason, this.now())));
    for (const action of this.actions.filter((a) => a.state === 'pending' && !isRecovery(a)))
      this.replace(await store.skipAction(this.lease, action.seq, RECOVERY + reason, this.now()));
  }

  private async rollback(): Promise<void> {
    const install = this.actions.find((a) => a.kind === 'install' && a.state === 'succeeded')!;
    const seen = await this.ask(() => probe(this.ctx, install));
    if (seen.state !== 'done') return;
    await this.event('rollback', 'the packages installed are not in effect yet and the host is recalled');
    try {
      await this.ctx.agent.rollback(this.host);
    } catch (error) {
      if (!(error instanceof HvpatchError)) throw error;
      await this.event('rollback-failed', error.message);
    }
  }

  /** A host that did not come back, or came back unwell, stays out of service and is reported. */
  private async fail(failure: ActionRecord): Promise<void> {
    await this.flush();
    const reason = `action ${failure.seq} (${failure.kind}) failed: ${describe(failure)}`;
    for (const action of this.actions.filter((a) => a.state === 'pending'))
      this.replace(await this.ctx.store.skipAction(this.lease, action.seq, reason, this.now()));
    await this.event('alert', `host ${this.host} left out of service: ${reason}`);
    await this.leave('failed', reason);
    await this.control.hostFailed(this.host, reason);
  }

  private async finish(failure: ActionRecord | undefined): Promise<void> {
    await this.flush();
    // Left pending by a recovery that a crash cut short.
    for (const action of this.actions.filter((a) => a.state === 'pending'))
      this.replace(
        await this.ctx.store.skipAction(this.lease, action.seq, 'the host was brought back', this.now()),
      );
    const recovered = this.actions.some((a) => isRecovery(a) || a.state === 'skipped');
    const recoveryFailed = this.actions.some((a) => isRecovery(a) && a.state === 'failed');
    if (recoveryFailed) {
      await this.event('alert', `host ${this.host} could not be brought back to service`);
      await this.leave('failed', 'its recovery failed');
      await this.control.hostFailed(this.host, 'its recovery failed');
    } else if (recovered) {
      const why =
        failure === undefined
          ? 'recalled'
          : `action ${failure.seq} (${failure.kind}) failed: ${describe(failure)}`;
      const to = failure === undefined || failure.kind === 'migrate' ? 'deferred' : 'failed';
      if (to === 'failed')
        await this.event('alert', `host ${this.host} back in service but not patched: ${why}`);
      await this.leave(to, `brought back to service: ${why}`);
      if (to === 'failed') await this.control.hostFailed(this.host, why);
    } else {
      await this.leave('done', 'every action succeeded');
    }
  }

  private async setState(to: HostState, reason: string): Promise<void> {
    await this.flush();
    await this.ctx.store.setHostState(this.lease, to, reason, this.now());
    this.ctx.hostStates.set(this.host, to);
  }

  /** The host's end state and its lease released, in one write. */
  private async leave(to: 'done' | 'failed' | 'deferred', reason: string): Promise<void> {
    await this.flush();
    await this.ctx.store.leaveHost(this.lease, to, reason, this.now());
    this.ctx.hostStates.set(this.host, to);
  }

  private async event(
    kind: string,
    reason: string,
    extra: { action?: number; data?: Record<string, unknown> } = {},
  ) {
    await this.flush();
    await this.ctx.store.recordEvent(
      { campaignId: this.ctx.campaign, actor: this.ctx.worker, kind, host: this.host, reason, ...extra },
      this.now(),
    );
  }

  /** A read of the platform, retried with backoff while it fails retryably. */
  private async ask<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await read();
      } catch (error) {
        if (
          !(error instanceof HvpatchError) ||
          !error.retryable ||
          attempt + 1 >= this.ctx.policy.attempts * 2
        )
          throw error;
        await this.ctx.clock.sleep(backoff(this.ctx.policy, attempt));
      }
    }
  }

  private replace(record: ActionRecord): void {
    const i = this.actions.findIndex((a) => a.seq === record.seq);
    if (i >= 0) this.actions[i] = record;
    else this.actions.push(record);
  }
}

const firstPending = (actions: ActionRecord[]) => actions.find((a) => a.state === 'pending');

/** The reason goes into the action's detail too, where the runner reads it back after a crash. */
function recorded(result: ActionResult) {
  return result.outcome === 'succeeded'
    ? result
    : { outcome: result.outcome, reason: result.reason, detail: { ...result.detail, reason: result.reason } };
}

function describe(action: ActionRecord): string {
  const detail = action.detail as { reason?: string } | null;
  return detail?.reason ?? 'see its events';
}
