import type { InputProblem } from '../errors.js';
import type { Advisory } from './model.js';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One advisory per id, sorted by id. Mirrors and local copies overlap; where two sources
 * hold the same id the most recently modified copy wins (ties go to the origin that sorts
 * first, so the result does not depend on which source answered first), and each copy
 * left out is reported.
 */
export function mergeAdvisories(candidates: readonly Advisory[]): {
  advisories: Advisory[];
  problems: InputProblem[];
} {
  const byId = new Map<string, Advisory[]>();
  for (const advisory of candidates) {
    const copies = byId.get(advisory.id);
    if (copies) copies.push(advisory);
    else byId.set(advisory.id, [advisory]);
  }
  const advisories: Advisory[] = [];
  const problems: InputProblem[] = [];
  for (const copies of byId.values()) {
    copies.sort((a, b) => Date.parse(b.modified) - Date.parse(a.modified) || byText(a.origin, b.origin));
    const [kept, ...dropped] = copies as [Advisory, ...Advisory[]];
    advisories.push(kept);
    for (const copy of dropped) {
      const when =
        Date.parse(copy.modified) === Date.parse(kept.modified)
          ? 'the same modified time'
          : `a newer modified time (${kept.modified} > ${copy.modified})`;
      problems.push({
        file: copy.origin,
        path: 'modified',
        message: `${kept.id} is also in ${kept.origin} with ${when}; that copy is used and this one ignored`,
      });
    }
  }
  advisories.sort((a, b) => byText(a.id, b.id));
  return { advisories, problems };
}
