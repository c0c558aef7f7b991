import { firstOpenAfter, type Stretch } from '../plan/host-windows.js';

/**
 * When each host may be worked on, as a tool run inside the maintenance windows keeps to
 * them: a host's job starts only where all of it fits inside one stretch (its cluster's
 * windows less the freezes, see `windowStretches`). A host without stretches may be worked
 * on at any time.
 */
export class HostCalendar {
  constructor(private readonly stretches: readonly (readonly Stretch[] | undefined)[]) {}

  /** The earliest start at or after `timeS` from which `durationS` fits inside one stretch; Infinity when none does. */
  fit(host: number, timeS: number, durationS: number): number {
    const stretches = this.stretches[host];
    if (!stretches) return timeS;
    for (let i = firstOpenAfter(stretches, timeS); i < stretches.length; i++) {
      const [from, to] = stretches[i]!;
      const start = Math.max(timeS, from);
      if (start + durationS <= to) return start;
    }
    return Infinity;
  }

  /** When the stretch that holds `timeS` closes: work started then must end by it. Infinity for a host unrestricted. */
  closes(host: number, timeS: number): number {
    const stretches = this.stretches[host];
    if (!stretches) return Infinity;
    const stretch = stretches[firstOpenAfter(stretches, timeS)];
    return stretch !== undefined && stretch[0] <= timeS ? stretch[1] : timeS;
  }
}
