import { NotFound, Unavailable } from '../errors.js';
import type { FaultInjector } from './faults.js';
import type { DisruptionLog } from './log.js';
import type { SimTimings } from './timings.js';
import type { SimGuest, SimHost, World } from './world.js';

/** What the parts of the simulation share; the `Simulation` facade builds it once. */
export interface SimContext {
  readonly world: World;
  readonly faults: FaultInjector;
  readonly timings: SimTimings;
  readonly disruptions: DisruptionLog;
  now(): number;
  /** Returns a function that cancels the event. */
  schedule(delayMs: number, kind: string, fire: () => void): () => void;
  /** Wake whoever waits for the migration or job `id`. */
  settle(id: string): void;
  nextId(prefix: string): string;
}

export function requireHost(world: World, id: string): SimHost {
  const host = world.hosts.get(id);
  if (!host) throw new NotFound(`no host '${id}'`);
  return host;
}

export function requireGuest(world: World, id: string): SimGuest {
  const guest = world.guests.get(id);
  if (!guest) throw new NotFound(`no guest '${id}'`);
  return guest;
}

/** Operations that need the host's own agent fail while it is rebooting or down. */
export function requireUp(host: SimHost): void {
  if (host.power !== 'up') throw new Unavailable(`host '${host.id}' is ${host.power}`);
}
