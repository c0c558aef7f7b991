import { CronExpressionParser } from 'cron-parser';
import { DateTime } from 'luxon';
import { WEEKDAYS, type Window } from '../model/index.js';

/** A stretch of time, in seconds from the campaign start, during which work may run. */
export interface OpenInterval {
  startS: number;
  endS: number;
}

/**
 * The union of the windows' openings between the campaign start and `horizonS` later,
 * sorted and merged. Weekly ranges are read on the wall clock of the window's time zone, so
 * a 01:00–05:00 window on the night clocks go back lasts five real hours, not four.
 */
export function openIntervals(
  windows: readonly Window[],
  startsAt: string,
  horizonS: number,
): OpenInterval[] {
  const startMs = DateTime.fromISO(startsAt, { setZone: true }).toMillis();
  const endMs = startMs + horizonS * 1000;
  const openings: [number, number][] = [];
  for (const window of windows) {
    if (window.weekly) weeklyOpenings(window, startMs, endMs, openings);
    else cronOpenings(window, startMs, endMs, openings);
  }
  openings.sort((a, b) => a[0] - b[0]);
  const merged: OpenInterval[] = [];
  for (const [openMs, closeMs] of openings) {
    const startS = Math.max(0, (openMs - startMs) / 1000);
    const endS = Math.min(horizonS, (closeMs - startMs) / 1000);
    if (endS <= startS) continue;
    const last = merged.at(-1);
    if (last && startS <= last.endS) last.endS = Math.max(last.endS, endS);
    else merged.push({ startS, endS });
  }
  return merged;
}

function weeklyOpenings(window: Window, startMs: number, endMs: number, out: [number, number][]): void {
  const zone = window.timeZone;
  // From the day before: a range that opened yesterday evening may still be open at the start.
  let day = DateTime.fromMillis(startMs, { zone }).startOf('day').minus({ days: 1 });
  while (day.toMillis() <= endMs) {
    const weekday = WEEKDAYS[day.weekday - 1];
    for (const range of window.weekly ?? []) {
      if (!range.days.includes(weekday)) continue;
      const open = at(day, range.start, zone);
      const closeDay = range.end <= range.start ? day.plus({ days: 1 }) : day;
      out.push([open, at(closeDay, range.end, zone)]);
    }
    day = day.plus({ days: 1 });
  }
}

/** The instant of a wall-clock time on a local date; a time skipped by DST moves forward. */
function at(day: DateTime, clock: string, zone: string): number {
  const [hour, minute] = clock.split(':').map(Number);
  return DateTime.fromObject(
    { year: day.year, month: day.month, day: day.day, hour, minute },
    { zone },
  ).toMillis();
}

function cronOpenings(window: Window, startMs: number, endMs: number, out: [number, number][]): void {
  const durationMs = window.duration ?? 0;
  const expression = CronExpressionParser.parse(window.cron ?? '', {
    tz: window.timeZone,
    // One that opened less than a duration before the start is still open at it.
    currentDate: startMs - durationMs - 1,
  });
  for (let open = expression.next().getTime(); open <= endMs; open = expression.next().getTime()) {
    out.push([open, open + durationMs]);
  }
}

/** Past this, windows that never add up to the work are taken as never doing so. */
const MAX_HORIZON_S = 20 * 366 * 86_400;
const FIRST_HORIZON_S = 28 * 86_400;

/**
 * The earliest time, in seconds from the start, by which `workS` seconds of open window
 * have passed: where work that may only run inside the windows can end at the earliest.
 * Without windows every moment is open. Infinity when the windows never open enough.
 */
export function wallClockForWork(windows: readonly Window[], startsAt: string, workS: number): number {
  if (windows.length === 0 || workS <= 0) return Math.max(0, workS);
  for (let horizonS = Math.max(FIRST_HORIZON_S, workS * 4); ; horizonS *= 2) {
    let done = 0;
    for (const interval of openIntervals(windows, startsAt, horizonS)) {
      const length = interval.endS - interval.startS;
      if (done + length >= workS) return interval.startS + (workS - done);
      done += length;
    }
    if (horizonS >= MAX_HORIZON_S) return Infinity;
  }
}
