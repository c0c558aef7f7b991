import type { Cvss } from './model.js';

/**
 * CVSS v3.0/v3.1 base scores, computed from the vector with the formulas of the FIRST
 * specification (section 7.1 of v3.1; v3.0 uses the same base equations and weights).
 */

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  PR: { N: 0.85, L: 0.62, H: 0.27 },
  UI: { N: 0.85, R: 0.62 },
  S: { U: 0, C: 0 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** A changed scope means the attacker's privileges reach further, so they count for more. */
const PR_SCOPE_CHANGED = { N: 0.85, L: 0.68, H: 0.5 } as const;

type BaseMetric = keyof typeof WEIGHTS;
const BASE_METRICS = Object.keys(WEIGHTS) as BaseMetric[];

/** Temporal and environmental metrics may follow the base ones; they do not change the base score. */
const OTHER_METRICS = new Set([
  'E',
  'RL',
  'RC',
  'CR',
  'IR',
  'AR',
  'MAV',
  'MAC',
  'MPR',
  'MUI',
  'MS',
  'MC',
  'MI',
  'MA',
]);

/** Parses a `CVSS:3.x/...` vector; returns a reason instead when it is not one. */
export function parseCvssV3(vector: string): Cvss | { error: string } {
  const fail = (reason: string) => ({ error: `'${vector}' ${reason}` });
  const [prefix, ...parts] = vector.split('/');
  const version = /^CVSS:(3\.[01])$/.exec(prefix ?? '')?.[1] as Cvss['version'] | undefined;
  if (!version) return fail('is not a CVSS v3.0 or v3.1 vector (it must start with CVSS:3.0/ or CVSS:3.1/)');
  const values = new Map<string, string>();
  for (const part of parts) {
    const [metric, value, extra] = part.split(':');
    if (!metric || value === undefined || extra !== undefined) return fail(`has a malformed part '${part}'`);
    if (values.has(metric)) return fail(`gives ${metric} twice`);
    if (!(metric in WEIGHTS) && !OTHER_METRICS.has(metric)) return fail(`has an unknown metric ${metric}`);
    values.set(metric, value);
  }
  const base: Partial<Record<BaseMetric, string>> = {};
  for (const metric of BASE_METRICS) {
    const value = values.get(metric);
    if (value === undefined) return fail(`lacks the base metric ${metric}`);
    if (!(value in WEIGHTS[metric])) return fail(`has ${metric}:${value}, which is not a valid value`);
    base[metric] = value;
  }
  return { vector, version, baseScore: baseScore(base as Record<BaseMetric, string>) };
}

function baseScore(m: Record<BaseMetric, string>): number {
  const weight = (metric: BaseMetric) => (WEIGHTS[metric] as Record<string, number>)[m[metric]]!;
  const changed = m.S === 'C';
  const privileges = changed ? PR_SCOPE_CHANGED[m.PR as keyof typeof PR_SCOPE_CHANGED] : weight('PR');
  const iss = 1 - (1 - weight('C')) * (1 - weight('I')) * (1 - weight('A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * weight('AV') * weight('AC') * privileges * weight('UI');
  if (impact <= 0) return 0;
  return roundUp(Math.min(changed ? 1.08 * (impact + exploitability) : impact + exploitability, 10));
}

/**
 * The smallest one-decimal number at or above `value`. Done on integers (the v3.1 spec's
 * Appendix A) so that float noise such as 4.000000000000001 does not round up to 4.1; v3.0
 * defines the same mathematical rounding, only without saying how to avoid that noise.
 */
export function roundUp(value: number): number {
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}
