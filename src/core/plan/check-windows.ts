import type { Plan } from './model.js';
import type { Findings } from './violations.js';

/** Rounding between the planners' milliseconds and the file's seconds. */
const EPSILON_S = 1e-6;

/**
 * A host's work, installs aside, starts inside one of its stretches in `limits.hostWindows`
 * (`window`, an error): that is what every planner promises, admitting a host only where
 * its work is expected to fit in one opening, as a tool run in a window does. Work that
 * then runs past the end of that stretch is a notice (`window-overrun`): the baselines never
 * do it (they put a host back unpatched before its window closes), hvpatch's planner can when
 * its migrations wait longer than expected. Installs change nothing in effect and may run
 * in the background outside the windows (an install now whose activation waits).
 */
export function checkWindows(plan: Plan, findings: Findings): void {
  const hostWindows = plan.limits.hostWindows;
  if (!hostWindows) return;
  const spans = new Map<string, [number, number]>();
  for (const action of plan.actions) {
    if (action.kind === 'install' || !Object.hasOwn(hostWindows, action.host)) continue;
    const span = spans.get(action.host);
    if (span) {
      span[0] = Math.min(span[0], action.startS);
      span[1] = Math.max(span[1], action.endS);
    } else spans.set(action.host, [action.startS, action.endS]);
  }
  for (const [host, [startS, endS]] of spans) {
    const stretches = hostWindows[host]!;
    const within = stretches.find(([from, to]) => from - EPSILON_S <= startS && startS < to);
    if (within === undefined)
      findings.add(
        'window',
        startS,
        `${host}'s work starts at ${startS} s, outside its maintenance windows`,
        {
          host,
        },
      );
    else if (endS > within[1] + EPSILON_S)
      findings.add(
        'window-overrun',
        within[1],
        `${host}'s work runs from ${startS} s to ${endS} s, past the end of its window at ${within[1]} s`,
        { host },
      );
  }
}
