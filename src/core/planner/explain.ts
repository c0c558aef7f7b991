import type { HostWork } from '../plan/index.js';

/** Packages that only take effect at boot, as a reboot's reason. */
const BOOT_PACKAGE = /^(?:linux-image-|linux-modules-|.*microcode)/;

export function rebootReason(work: HostWork): string {
  const boot = work.packages.filter((pkg) => BOOT_PACKAGE.test(pkg.name)).map((pkg) => pkg.name);
  const what = boot.length > 0 ? list(boot, 2) : 'a fix that takes effect only at boot';
  return work.livePatch
    ? `live patch ${work.livePatch.id} covers the kernel, but ${what} still needs a reboot`
    : `${what} takes effect only at a reboot`;
}

export function dueClause(work: HostWork): string {
  return work.due === undefined ? '' : ` (due ${work.due})`;
}

export function daemonsClause(work: HostWork): string {
  const daemons = work.restartDaemons;
  return daemons.length === 0 ? '' : `, restarting ${list(daemons, 4)}`;
}

/** `a, b and 3 more`. */
export function list(items: readonly string[], shown: number): string {
  if (items.length <= shown)
    return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
  return `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Seconds from the campaign start as an instant, for sentences about deadlines. */
export function instant(startsAt: string, seconds: number): string {
  return new Date(Date.parse(startsAt) + Math.round(seconds * 1000)).toISOString();
}
