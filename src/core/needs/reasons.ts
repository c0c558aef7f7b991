import type { Need, NotInEffect } from './model.js';

/** Why a host is not compliant, one line per kind of gap; none when it is. */
export function complianceReasons(needs: readonly Need[], notInEffect: NotInEffect): string[] {
  const reasons: string[] = [];
  const needed = needs.filter((row) => row.inEffect);
  const waiting = needs.filter((row) => !row.inEffect);
  const overdue = needs.filter((row) => row.overdue);
  if (needed.length > 0) reasons.push(count(needed.length, 'package needs', 'packages need') + ' an update');
  if (waiting.length > 0)
    reasons.push(`${count(waiting.length, 'installed fix is', 'installed fixes are')} not in effect`);
  if (overdue.length > 0) reasons.push(`${count(overdue.length, 'fix is', 'fixes are')} overdue`);
  const { kernel, guests, daemons } = notInEffect;
  if (kernel) reasons.push(`running kernel ${kernel.running} is older than the installed ${kernel.newest}`);
  if (guests.length > 0)
    reasons.push(`${count(guests.length, 'guest runs', 'guests run')} a QEMU older than the installed one`);
  for (const { daemon, mapsDeletedFrom } of daemons)
    reasons.push(`${daemon} still maps replaced files of ${mapsDeletedFrom.join(', ')}`);
  return reasons;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
