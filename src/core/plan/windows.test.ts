import { describe, expect, it } from 'vitest';
import { Window, type Window as WindowType } from '../model/index.js';
import { openIntervals, wallClockForWork } from './windows.js';

const HOUR = 3600;
const DAY = 24 * HOUR;

function window(fields: Record<string, unknown>): WindowType {
  return Window.parse({ id: 'w', timeZone: 'Europe/Berlin', ...fields });
}

describe('openIntervals', () => {
  it('reads weekly ranges on the wall clock: the night clocks go back, 01:00–05:00 lasts five hours', () => {
    // Sunday 25 October 2026 is the last Sunday of October: 03:00 CEST becomes 02:00 CET.
    const sunday = window({ weekly: [{ days: ['sun'], start: '01:00', end: '05:00' }] });
    const [first] = openIntervals([sunday], '2026-10-24T00:00:00Z', 2 * DAY);
    // 01:00 CEST is 23:00 UTC the day before; 05:00 CET is 04:00 UTC.
    expect(first).toEqual({ startS: 23 * HOUR, endS: 28 * HOUR });
  });

  it('and the night clocks go forward, 01:00–05:00 lasts three hours', () => {
    const sunday = window({ weekly: [{ days: ['sun'], start: '01:00', end: '05:00' }] });
    const [first] = openIntervals([sunday], '2026-03-28T00:00:00Z', 2 * DAY);
    // 01:00 CET is 00:00 UTC on the 29th; 05:00 CEST is 03:00 UTC.
    expect(first).toEqual({ startS: DAY, endS: DAY + 3 * HOUR });
  });

  it('includes a range that opened before the start and runs past midnight', () => {
    const nightly = window({
      timeZone: 'UTC',
      weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '22:00', end: '06:00' }],
    });
    const intervals = openIntervals([nightly], '2026-01-05T02:00:00Z', DAY);
    expect(intervals).toEqual([
      { startS: 0, endS: 4 * HOUR },
      { startS: 20 * HOUR, endS: DAY },
    ]);
  });

  it('merges overlapping windows', () => {
    const evening = window({ timeZone: 'UTC', weekly: [{ days: ['mon'], start: '18:00', end: '22:00' }] });
    const late = window({ timeZone: 'UTC', weekly: [{ days: ['mon'], start: '21:00', end: '23:00' }] });
    expect(openIntervals([evening, late], '2026-01-05T00:00:00Z', DAY)).toEqual([
      { startS: 18 * HOUR, endS: 23 * HOUR },
    ]);
  });
});

describe('wallClockForWork', () => {
  it('is the work itself without windows', () => {
    expect(wallClockForWork([], '2026-01-05T00:00:00Z', 1234)).toBe(1234);
  });

  it('carries work over to the next opening, across the change from summer time', () => {
    const sunday = window({ weekly: [{ days: ['sun'], start: '01:00', end: '05:00' }] });
    // Five hours on 25 October, the sixth from 01:00 CET on 1 November (00:00 UTC).
    const end = wallClockForWork([sunday], '2026-10-24T00:00:00Z', 6 * HOUR);
    expect(end).toBe(8 * DAY + HOUR);
  });

  it('maps work onto a cron window: 22:00 Berlin time, Monday to Thursday, two hours each', () => {
    const cron = window({ cron: '0 22 * * 1-4', duration: '2h' });
    // Monday 5 January 2026, 00:00 UTC; 22:00 CET is 21:00 UTC.
    const start = '2026-01-05T00:00:00Z';
    expect(openIntervals([cron], start, 2 * DAY)).toEqual([
      { startS: 21 * HOUR, endS: 23 * HOUR },
      { startS: DAY + 21 * HOUR, endS: DAY + 23 * HOUR },
    ]);
    expect(wallClockForWork([cron], start, 3 * HOUR)).toBe(DAY + 22 * HOUR);
    // Four openings a week: eight hours of work need all of the first week.
    expect(wallClockForWork([cron], start, 8 * HOUR)).toBe(3 * DAY + 23 * HOUR);
    expect(wallClockForWork([cron], start, 9 * HOUR)).toBe(7 * DAY + 22 * HOUR);
  });
});
