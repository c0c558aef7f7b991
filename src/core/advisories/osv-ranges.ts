import { fatal, type Finding } from './findings.js';
import type { OsvRange } from './osv-schema.js';

const EVENT_KINDS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

export interface FixRange {
  introduced?: string;
  fixed?: string;
}

/**
 * Debian and Ubuntu give one ECOSYSTEM range per package and release: `introduced` (usually
 * `0`) and, once a fix is out, `fixed`. Richer shapes are refused rather than half-read: a
 * wrong reading would say a vulnerable host is fixed.
 */
export function readRanges(
  ranges: readonly OsvRange[] | undefined,
  at: (string | number)[],
  findings: Finding[],
): FixRange | undefined {
  if (ranges === undefined || ranges.length === 0) return {};
  if (ranges.length > 1) {
    findings.push(
      fatal(
        at,
        `holds ${ranges.length} ranges; Debian and Ubuntu advisories give one per package and release`,
      ),
    );
    return undefined;
  }
  const range = ranges[0]!;
  if (range.type !== 'ECOSYSTEM') {
    findings.push(
      fatal(
        [...at, 0, 'type'],
        `is '${range.type}'; Debian and Ubuntu advisories give dpkg versions in an ECOSYSTEM range`,
      ),
    );
    return undefined;
  }
  const seen: Partial<Record<(typeof EVENT_KINDS)[number], string[]>> = {};
  let wellFormed = true;
  range.events.forEach((event, k) => {
    const kinds = EVENT_KINDS.filter((kind) => event[kind] !== undefined);
    if (kinds.length !== 1) {
      findings.push(
        fatal([...at, 0, 'events', k], 'must hold exactly one of introduced, fixed, last_affected or limit'),
      );
      wellFormed = false;
      return;
    }
    const kind = kinds[0]!;
    (seen[kind] ??= []).push(event[kind]!);
  });
  if (!wellFormed) return undefined;
  const events = [...at, 0, 'events'];
  for (const kind of ['last_affected', 'limit'] as const) {
    if (seen[kind]) {
      findings.push(
        fatal(
          events,
          `uses a '${kind}' event, which Debian and Ubuntu advisories do not; refusing to guess its meaning`,
        ),
      );
      return undefined;
    }
  }
  const introduced = seen.introduced ?? [];
  const fixed = seen.fixed ?? [];
  if (introduced.length !== 1) {
    findings.push(
      fatal(
        events,
        introduced.length === 0
          ? 'has no introduced event (OSV requires one)'
          : `has ${introduced.length} introduced events; expected one`,
      ),
    );
    return undefined;
  }
  if (fixed.length > 1) {
    findings.push(
      fatal(events, `has ${fixed.length} fixed events (${fixed.join(', ')}); expected at most one`),
    );
    return undefined;
  }
  return {
    ...(introduced[0] !== '0' && { introduced: introduced[0] }),
    ...(fixed[0] !== undefined && { fixed: fixed[0] }),
  };
}
