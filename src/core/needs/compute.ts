import type { Advisory } from '../advisories/index.js';
import type { Fleet, Guest, Policy } from '../model/index.js';
import { FixIndex } from './fixes.js';
import type { NeedsContext } from './context.js';
import { hostNeeds } from './host.js';
import { LivepatchIndex } from './livepatch.js';
import type { HostNeeds } from './model.js';
import { createClassifier, type DisruptionRule } from './rules.js';

export interface NeedsOptions {
  /** The moment overdue is judged at, epoch ms. */
  now: number;
  /** Its severity deadlines give each need a due date; without one nothing is due. */
  policy?: Pick<Policy, 'deadlines'>;
  /** Tried before the built-in disruption rules. */
  rules?: readonly DisruptionRule[];
}

/**
 * Per host, in fleet order: every source package an advisory says is vulnerable at the
 * installed version, every fix installed but not running, and whether the host complies.
 */
export function computeNeeds(
  fleet: Pick<Fleet, 'hosts' | 'guests'>,
  advisories: readonly Advisory[],
  options: NeedsOptions,
): HostNeeds[] {
  const context: NeedsContext = {
    fixes: new FixIndex(advisories),
    livepatch: new LivepatchIndex(advisories),
    classifier: createClassifier(options.rules),
    deadlines: options.policy?.deadlines ?? {},
    now: options.now,
    summaries: new WeakMap(),
  };
  const guestsByHost = new Map<string, Guest[]>();
  for (const guest of fleet.guests) {
    if (guest.host === undefined) continue;
    const list = guestsByHost.get(guest.host);
    if (list) list.push(guest);
    else guestsByHost.set(guest.host, [guest]);
  }
  return fleet.hosts.map((host) => hostNeeds(host, guestsByHost.get(host.id) ?? [], context));
}
