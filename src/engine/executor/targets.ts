import type { PlatformGuest, PlatformHost } from '../../core/ports.js';
import type { ActionRecord } from '../../store/index.js';
import { movesOnFrom, type WorkerContext } from './context.js';

/**
 * A live-migration target valid NOW (safety invariants 2 and 3), from the platform's state
 * rather than the plan's: enabled and up, same CPU group, room for the guest, no guest of its
 * anti-affinity group there or on its way there, and not still due for a disruptive step in this campaign — unless it is
 * the plan's own target and the plan moves the guest on from there. The plan's target is
 * preferred; otherwise the roomiest host this campaign has finished with.
 */
export function chooseTarget(
  ctx: WorkerContext,
  action: ActionRecord,
  tried: ReadonlySet<string>,
  hosts: readonly PlatformHost[],
  guests: readonly PlatformGuest[],
  /** Guests on their way to a host: they count as on it already. */
  landing: readonly { guest: string; host: string }[] = [],
): string | undefined {
  const guestId = action.guest!;
  const spec = ctx.guestsById.get(guestId);
  const source = ctx.hostsById.get(action.host);
  const planned = action.spec.to;
  const valid = hosts.filter((candidate) => {
    const inventory = ctx.hostsById.get(candidate.id);
    if (!inventory || candidate.id === action.host || tried.has(candidate.id)) return false;
    if (!candidate.enabled || !candidate.up) return false;
    if (source !== undefined && inventory.migrationGroup !== source.migrationGroup) return false;
    if (candidate.memoryCeilingMiB - candidate.memoryUsedMiB < (spec?.memoryMiB ?? 0)) return false;
    if (candidate.vcpuCeiling - candidate.vcpuUsed < (spec?.vcpu ?? 0)) return false;
    if (!settledFor(ctx, candidate.id, guestId, planned)) return false;
    const group = spec?.antiAffinityGroup ?? null;
    const sameGroup = (other: string) =>
      other !== guestId && ctx.guestsById.get(other)?.antiAffinityGroup === group;
    return (
      group === null ||
      !(
        guests.some((other) => other.host === candidate.id && sameGroup(other.guest)) ||
        landing.some((other) => other.host === candidate.id && sameGroup(other.guest))
      )
    );
  });
  if (planned !== undefined && valid.some((h) => h.id === planned)) return planned;
  const rank = (h: PlatformHost) =>
    (ctx.hostStates.get(h.id) === 'done' ? 1e12 : 0) + h.memoryCeilingMiB - h.memoryUsedMiB;
  return valid.sort((a, b) => rank(b) - rank(a) || (a.id < b.id ? -1 : 1))[0]?.id;
}

function settledFor(ctx: WorkerContext, host: string, guest: string, planned: string | undefined): boolean {
  const state = ctx.hostStates.get(host);
  if (state === undefined || state === 'done' || state === 'skipped' || state === 'deferred') return true;
  if (state !== 'pending') return false;
  return host === planned && movesOnFrom(ctx, host, guest);
}
