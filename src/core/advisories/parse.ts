import type { InputProblem } from '../errors.js';
import { formatPath, parseSource, type SourceDocument } from '../documents/index.js';
import type { Advisory } from './model.js';
import type { Finding } from './findings.js';
import { readNativeLsn } from './native-lsn.js';
import { readOsv } from './osv.js';

export interface ParsedAdvisory {
  /** Absent when the input was refused; present with `problems` when parts were skipped. */
  advisory?: Advisory;
  problems: InputProblem[];
}

/** A generated file gone wrong can fail every one of thousands of fields; the first few say it. */
const MAX_PROBLEMS = 20;

/**
 * Reads one advisory in any of the formats hvpatch knows — OSV (Ubuntu USN/LSN in schema 1.6
 * or 1.7, Debian DSA/DLA) or a native Livepatch notice — from already parsed JSON. Never
 * throws on bad input: every problem names `origin` and the field.
 */
export function parseAdvisory(json: unknown, origin: string): ParsedAdvisory {
  return toProblems(read(json, origin), origin);
}

/** Same, from the file's text, so that problems also carry line and column. */
export function parseAdvisoryText(text: string, origin: string): ParsedAdvisory {
  const { document, problems } = parseSource(text, origin);
  if (!document) return { problems: problems.slice(0, MAX_PROBLEMS) };
  return toProblems(read(document.value, origin), origin, document);
}

function read(json: unknown, origin: string): { advisory?: Advisory; findings: Finding[] } {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    const found = json === null ? 'null' : Array.isArray(json) ? 'a list' : typeof json;
    return {
      findings: [
        { path: [], message: `must be a JSON object holding one advisory, not ${found}`, fatal: true },
      ],
    };
  }
  if ('affected' in json || 'schema_version' in json) return readOsv(json, origin);
  if ('releases' in json) return readNativeLsn(json, origin);
  const message =
    'is neither an OSV record (it has no schema_version or affected) nor a native Livepatch notice (no releases)';
  return { findings: [{ path: [], message, fatal: true }] };
}

function toProblems(
  result: { advisory?: Advisory; findings: Finding[] },
  file: string,
  document?: SourceDocument,
): ParsedAdvisory {
  const shown = result.findings.slice(0, MAX_PROBLEMS).map((finding): InputProblem => ({
    file,
    ...document?.locate(finding.path),
    ...(finding.path.length > 0 && { path: formatPath(finding.path) }),
    message: finding.message,
  }));
  const hidden = result.findings.length - shown.length;
  if (hidden > 0) shown.push({ file, message: `and ${hidden} more problems like these` });
  return { ...(result.advisory && { advisory: result.advisory }), problems: shown };
}
