import fc from 'fast-check';
import { DateTime } from 'luxon';
import { SEVERITIES, WEEKDAYS, type PolicyInput } from '../model/index.js';
import type { PlanningInput } from './input.js';

/** Zones with and without daylight saving time, which moves weekly windows on the real clock. */
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York'] as const;
/** Campaign starts a few days before the 2026 clock changes of those zones, and one far from them. */
const STARTS = [
  '2026-01-05T00:00:00Z',
  '2026-03-06T00:00:00Z',
  '2026-03-26T00:00:00Z',
  '2026-10-22T00:00:00Z',
] as const;

const clock = (minutes: number) =>
  `${String(Math.floor(minutes / 60) % 24).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** A weekly window of one to eight hours on some days, some crossing midnight. */
const weeklyWindow = fc.record({
  timeZone: fc.constantFrom(...ZONES),
  days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
  startMinutes: fc.integer({ min: 0, max: 47 }).map((half) => half * 30),
  hours: fc.integer({ min: 1, max: 8 }),
  emergency: fc.boolean(),
});

/**
 * Random maintenance windows (one always open to every severity, maybe an emergency one)
 * and a freeze of one to four days some of whose severities are exempt, with a campaign
 * start to read them from: for property tests of planners that must keep to them.
 */
export const calendars = fc
  .record({
    startsAt: fc.constantFrom(...STARTS),
    windows: fc.tuple(weeklyWindow, fc.option(weeklyWindow, { nil: undefined })),
    freeze: fc.record({
      fromDays: fc.integer({ min: 0, max: 10 }),
      days: fc.integer({ min: 1, max: 4 }),
      timeZone: fc.constantFrom(...ZONES),
      allowSeverities: fc.subarray([...SEVERITIES]),
    }),
  })
  .map(({ startsAt, windows, freeze }) => {
    const policy = {
      deadlines: { critical: { within: '30d', emergencyWindows: true } },
      windows: windows
        .filter((window) => window !== undefined)
        .map((window, i) => ({
          id: `w${i}`,
          timeZone: window.timeZone,
          weekly: [
            {
              days: window.days,
              start: clock(window.startMinutes),
              end: clock(window.startMinutes + window.hours * 60),
            },
          ],
          // The first window is open to every severity, so that some work is always possible.
          emergency: i > 0 && window.emergency,
        })),
      freezes: [
        {
          id: 'freeze',
          from: local(startsAt, freeze.fromDays, freeze.timeZone),
          to: local(startsAt, freeze.fromDays + freeze.days, freeze.timeZone),
          timeZone: freeze.timeZone,
          reason: 'a release',
          allowSeverities: freeze.allowSeverities,
        },
      ],
    } satisfies PolicyInput;
    return { startsAt, policy };
  });

/** The local date-time `days` after the start, as a freeze names its ends. */
function local(startsAt: string, days: number, zone: string): string {
  return DateTime.fromISO(startsAt, { zone }).plus({ days }).toFormat("yyyy-MM-dd'T'HH:mm");
}

/** Gives the hosts' work severities in turn (some none), so that emergency windows and freeze exemptions apply to some. */
export function withSeverities(input: PlanningInput): PlanningInput {
  const cycle = [...SEVERITIES, undefined];
  return {
    ...input,
    work: input.work.map((entry, i) => {
      const severity = cycle[i % cycle.length];
      return severity === undefined ? entry : { ...entry, severity };
    }),
  };
}
