import { SEVERITIES, type CveSeverity, type Severity } from './model.js';

const RANK = new Map<Severity, number>(SEVERITIES.map((severity, rank) => [severity, rank]));

export function isSeverity(text: string): text is Severity {
  return RANK.has(text as Severity);
}

export function higher(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return RANK.get(a)! >= RANK.get(b)! ? a : b;
}

/** The usual CVSS v3 qualitative bands; a score of 0 rates nothing. */
export function severityOfScore(score: number): Severity | undefined {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return undefined;
}

/**
 * Ubuntu's priority, where it gave one, says more about Ubuntu's packages than a generic
 * CVSS score; the score stands in only for CVEs Ubuntu did not prioritise.
 */
export function overallSeverity(severities: readonly CveSeverity[]): Severity | undefined {
  let overall: Severity | undefined;
  for (const { ubuntuPriority, cvss } of severities) {
    overall = higher(overall, ubuntuPriority ?? (cvss ? severityOfScore(cvss.baseScore) : undefined));
  }
  return overall;
}
