import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCvssV3, roundUp } from './cvss.js';

const score = (vector: string) => {
  const parsed = parseCvssV3(vector);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.baseScore;
};

describe('CVSS v3 base score', () => {
  // Scores as NVD and FIRST's calculator publish them.
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N', 5.4],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H', 9.0],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N', 5.3],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 6.5],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N', 4.3],
    ['CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', 5.5],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N', 0],
  ])('%s = %d', (vector, expected) => {
    expect(score(vector)).toBe(expected);
  });

  it('ignores temporal and environmental metrics', () => {
    expect(score('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C/CR:L')).toBe(9.8);
  });

  it('keeps the vector and its version', () => {
    expect(parseCvssV3('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toEqual({
      vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      version: '3.0',
      baseScore: 9.8,
    });
  });

  it.each([
    ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'must start with CVSS:3.0/'],
    ['CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', 'must start with CVSS:3.0/'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', 'lacks the base metric A'],
    ['CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'AV:X, which is not a valid value'],
    ['CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'gives AV twice'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1', 'unknown metric ZZ'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A', "malformed part 'A'"],
  ])('refuses %s', (vector, reason) => {
    const parsed = parseCvssV3(vector);
    expect('error' in parsed && parsed.error).toContain(reason);
  });

  it('rounds up to one decimal without float noise', () => {
    expect(roundUp(4.02)).toBe(4.1);
    expect(roundUp(4.0)).toBe(4.0);
    expect(roundUp(4.000000000000001)).toBe(4.0);
  });

  const letters = (values: string) => fc.constantFrom(...values.split(''));
  const vectors = fc
    .record({
      AV: letters('NALP'),
      AC: letters('LH'),
      PR: letters('NLH'),
      UI: letters('NR'),
      S: letters('UC'),
      C: letters('HLN'),
      I: letters('HLN'),
      A: letters('HLN'),
    })
    .map(
      (m) =>
        `CVSS:3.1/${Object.entries(m)
          .map(([k, v]) => `${k}:${v}`)
          .join('/')}`,
    );

  it('always scores within 0..10 in tenths', () => {
    fc.assert(
      fc.property(vectors, (vector) => {
        const value = score(vector);
        return value >= 0 && value <= 10 && Math.abs(value * 10 - Math.round(value * 10)) < 1e-9;
      }),
    );
  });

  it('never scores lower when confidentiality impact rises', () => {
    fc.assert(fc.property(vectors, (vector) => score(vector.replace(/\/C:[LN]/, '/C:H')) >= score(vector)));
  });
});
