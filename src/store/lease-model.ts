/**
 * The lease and action rules of the store, restated as a plain in-memory model, for the
 * property test that runs random operations of two workers against both and compares every
 * answer. Workers keep the last lease they were given and go on using it, so stale leases
 * (zombie workers) come up as often as fresh ones.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Conflict } from '../core/errors.js';
import type { CampaignStore } from './campaign-store.js';
import type { ActionRecord, ActionState, HostLease, HostState } from './model.js';

type Worker = 0 | 1;

export type LeaseCommand =
  | { op: 'tick'; ms: number }
  | { op: 'acquire'; worker: Worker; host: number; ttlMs: number }
  | { op: 'heartbeat'; worker: Worker }
  | ({ op: 'release' | 'activate' } & Fenced)
  | ({ op: 'start' | 'requeue' | 'skip'; action: number } & Fenced)
  | ({ op: 'finish'; action: number; outcome: 'succeeded' | 'failed' } & Fenced);

/** `age` picks the lease used: 0 the latest the worker was given for the host, 1 the one before… */
interface Fenced {
  worker: Worker;
  host: number;
  age: number;
}

export function leaseCommands(hosts: number, actionsPerHost = 5): fc.Arbitrary<LeaseCommand> {
  const worker = fc.constantFrom<Worker>(0, 1);
  const host = fc.nat({ max: hosts - 1 });
  const action = fc.nat({ max: actionsPerHost - 1 });
  const age = fc.constantFrom(0, 0, 0, 1, 2);
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('tick' as const),
        ms: fc.constantFrom(1, 100, 500, 1999, 2000, 5000),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('acquire' as const),
        worker,
        host,
        ttlMs: fc.constantFrom(2000, 5000),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('heartbeat' as const), worker }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), worker, host, age }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('activate' as const), worker, host, age }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('start' as const), worker, host, action, age }) },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('finish' as const),
        worker,
        host,
        action,
        age,
        outcome: fc.constantFrom('succeeded' as const, 'failed' as const),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constantFrom('requeue' as const, 'skip' as const),
        worker,
        host,
        action,
        age,
      }),
    },
  );
}

interface ModelLease {
  worker: string | null;
  epoch: number;
  ttlMs: number;
  expiresAt: number;
}

interface ModelAction {
  seq: number;
  host: string;
  state: ActionState;
  attempts: number;
  worker: string | null;
  epoch: number | null;
}

/** What an operation should answer: a value to compare, `null` (lease not granted) or a Conflict. */
type Answer = { value: unknown } | 'null' | 'conflict';

export class LeaseModel {
  private readonly leases = new Map<string, ModelLease>();
  private readonly hosts = new Map<string, HostState>();
  private readonly actions: ModelAction[];
  /** Per worker and host, every lease it was given, current or not, oldest first. */
  private readonly given: [Map<string, HostLease[]>, Map<string, HostLease[]>] = [new Map(), new Map()];

  constructor(
    private readonly campaignId: string,
    actions: readonly ActionRecord[],
    private now: number,
  ) {
    this.actions = actions.map((a) => ({
      seq: a.seq,
      host: a.host,
      state: a.state,
      attempts: 0,
      worker: null,
      epoch: null,
    }));
    for (const a of actions) this.hosts.set(a.host, 'pending');
  }

  async check(
    generated: LeaseCommand,
    clients: readonly [CampaignStore, CampaignStore],
    ids: readonly [string, string],
  ) {
    const command = this.firstStep(generated);
    if (command.op === 'tick') {
      this.now += command.ms;
      return;
    }
    const store = clients[command.worker];
    const id = ids[command.worker];
    const host = 'host' in command ? `host-${command.host}` : '';
    const leases = 'age' in command ? this.given[command.worker].get(host)! : [];
    const lease = leases[Math.max(0, leases.length - 1 - ('age' in command ? command.age : 0))]!;
    const seq = 'action' in command ? this.actionsOf(host)[command.action]!.seq : -1;
    const now = this.now;
    let expected: Answer;
    let actual: () => Promise<unknown>;
    switch (command.op) {
      case 'acquire':
        expected = this.acquire(host, id, command.ttlMs);
        actual = async () => {
          const got = await store.acquireHostLease(this.campaignId, host, id, command.ttlMs, now);
          if (got !== null)
            this.given[command.worker].set(host, [...(this.given[command.worker].get(host) ?? []), got]);
          return got && { epoch: got.epoch, expiresAt: got.expiresAt };
        };
        break;
      case 'heartbeat':
        expected = this.heartbeat(id);
        actual = async () =>
          (await store.heartbeat(id, now)).map((l) => `${l.host}@${l.epoch}<${l.expiresAt}`);
        break;
      case 'release':
        expected = this.release(lease);
        actual = async () => {
          await store.releaseLease(lease, now);
          return 'released';
        };
        break;
      case 'activate':
        expected = this.activate(lease);
        actual = async () => (await store.setHostState(lease, 'active', 'model', now)).state;
        break;
      default:
        expected = this.change(lease, seq, command.op === 'finish' ? command.outcome : command.op);
        actual = async () => {
          const record =
            command.op === 'start'
              ? await store.startAction(lease, seq, now)
              : command.op === 'finish'
                ? await store.finishAction(lease, seq, { outcome: command.outcome }, now)
                : command.op === 'requeue'
                  ? await store.requeueAction(lease, seq, 'model', now)
                  : await store.skipAction(lease, seq, 'model', now);
          return { state: record.state, attempts: record.attempts, epoch: record.epoch };
        };
    }
    const answer = await actual().then(
      (value): Answer => (value === null ? 'null' : { value }),
      (error: unknown): Answer => {
        if (error instanceof Conflict) return 'conflict';
        throw error;
      },
    );
    expect(answer, `${JSON.stringify(command)} at ${now}`).toEqual(expected);
  }

  async checkFinal(store: CampaignStore): Promise<void> {
    const actions = await store.actions(this.campaignId);
    expect(actions.map((a) => [a.seq, a.state, a.attempts, a.worker, a.epoch])).toEqual(
      this.actions.map((a) => [a.seq, a.state, a.attempts, a.worker, a.epoch]),
    );
    const leases = await store.leases(this.campaignId);
    expect(leases.map((l) => [l.host, l.worker, l.epoch, l.expiresAt])).toEqual(
      [...this.leases]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([host, l]) => [host, l.worker, l.epoch, l.expiresAt]),
    );
    const hosts = await store.hosts(this.campaignId);
    expect(hosts.map((h) => [h.host, h.state])).toEqual([...this.hosts].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /**
   * What would only be refused for want of a first step takes that step instead: a worker
   * without a lease on the host asks for one, one starting or finishing on a pending host takes
   * it up, and one finishing an action that never started starts it.
   */
  private firstStep(given: LeaseCommand): LeaseCommand {
    if (given.op === 'tick' || given.op === 'heartbeat' || given.op === 'acquire') return given;
    const { worker, host } = given;
    if (!this.given[worker].has(`host-${host}`)) return { op: 'acquire', worker, host, ttlMs: 2000 };
    if (given.op !== 'start' && given.op !== 'finish') return given;
    if (this.hosts.get(`host-${host}`) === 'pending') return { op: 'activate', worker, host, age: given.age };
    const action = this.actionsOf(`host-${host}`)[given.action]!;
    return given.op === 'finish' && action.state === 'pending' ? { ...given, op: 'start' } : given;
  }

  private actionsOf(host: string): ModelAction[] {
    return this.actions.filter((a) => a.host === host);
  }

  private acquire(host: string, worker: string, ttlMs: number): Answer {
    const current = this.leases.get(host);
    if (current?.worker && current.worker !== worker && current.expiresAt > this.now) return 'null';
    const next = { worker, epoch: (current?.epoch ?? 0) + 1, ttlMs, expiresAt: this.now + ttlMs };
    this.leases.set(host, next);
    for (const a of this.actionsOf(host)) if (a.state === 'started') a.state = 'unknown';
    return { value: { epoch: next.epoch, expiresAt: next.expiresAt } };
  }

  private heartbeat(worker: string): Answer {
    const held = [...this.leases].filter(([, l]) => l.worker === worker).sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [, l] of held) l.expiresAt = this.now + l.ttlMs;
    return { value: held.map(([host, l]) => `${host}@${l.epoch}<${l.expiresAt}`) };
  }

  private release(lease: HostLease): Answer {
    const current = this.leases.get(lease.host)!;
    if (current.worker !== lease.worker || current.epoch !== lease.epoch) return 'conflict';
    current.worker = null;
    current.expiresAt = this.now;
    return { value: 'released' };
  }

  private fenced(lease: HostLease, live: boolean): boolean {
    const current = this.leases.get(lease.host)!;
    if (current.worker !== lease.worker || current.epoch !== lease.epoch) return false;
    return !live || current.expiresAt > this.now;
  }

  private activate(lease: HostLease): Answer {
    if (!this.fenced(lease, true)) return 'conflict';
    this.hosts.set(lease.host, 'active');
    return { value: 'active' };
  }

  private change(
    lease: HostLease,
    seq: number,
    op: 'start' | 'requeue' | 'skip' | 'succeeded' | 'failed',
  ): Answer {
    if (!this.fenced(lease, op === 'start')) return 'conflict';
    const a = this.actions.find((x) => x.seq === seq)!;
    const to: ActionState =
      op === 'start' ? 'started' : op === 'requeue' ? 'pending' : op === 'skip' ? 'skipped' : op;
    const from: readonly ActionState[] =
      op === 'start'
        ? ['pending']
        : op === 'requeue'
          ? ['started', 'unknown', 'failed']
          : op === 'skip'
            ? ['pending']
            : ['started', 'unknown'];
    const same =
      a.state === to && (to !== 'started' || (a.worker === lease.worker && a.epoch === lease.epoch));
    if (!same) {
      if (!from.includes(a.state)) return 'conflict';
      if (to === 'started' && this.hosts.get(a.host) !== 'active') return 'conflict';
      a.state = to;
      if (to === 'started')
        Object.assign(a, { attempts: a.attempts + 1, worker: lease.worker, epoch: lease.epoch });
    }
    return { value: { state: a.state, attempts: a.attempts, epoch: a.epoch } };
  }
}
