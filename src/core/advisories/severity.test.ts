import { describe, expect, it } from 'vitest';
import { overallSeverity, severityOfScore } from './severity.js';

const cvss = (baseScore: number) => ({ vector: 'CVSS:3.1/…', version: '3.1' as const, baseScore });

describe('severity', () => {
  it.each([
    [10, 'critical'],
    [9, 'critical'],
    [8.9, 'high'],
    [7, 'high'],
    [6.9, 'medium'],
    [4, 'medium'],
    [3.9, 'low'],
    [0.1, 'low'],
    [0, undefined],
  ])('bands a CVSS score of %d as %s', (score, expected) => {
    expect(severityOfScore(score)).toBe(expected);
  });

  it("prefers Ubuntu's priority over the CVE's CVSS score", () => {
    expect(overallSeverity([{ cve: 'CVE-2024-1', ubuntuPriority: 'low', cvss: cvss(9.8) }])).toBe('low');
  });

  it('takes the highest across CVEs, scoring the unprioritised ones by CVSS', () => {
    expect(
      overallSeverity([
        { cve: 'CVE-2024-1', ubuntuPriority: 'medium' },
        { cve: 'CVE-2024-2', cvss: cvss(7.5) },
      ]),
    ).toBe('high');
    expect(
      overallSeverity([
        { cve: 'CVE-2024-1', ubuntuPriority: 'negligible' },
        { cve: 'CVE-2024-2', ubuntuPriority: 'critical' },
      ]),
    ).toBe('critical');
  });

  it('rates nothing when nothing is rated', () => {
    expect(overallSeverity([])).toBeUndefined();
  });
});
