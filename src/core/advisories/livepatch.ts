import { warning, type Finding } from './findings.js';

/**
 * Native LSNs give the livepatch version that carries the fix (`allbinaries.*.version`);
 * OSV LSNs do not. In every native LSN that version is the notice's number (LSN-0106-1 →
 * 106), so for OSV LSNs it is taken from the id.
 */
export function livepatchVersionOfId(id: string): number | undefined {
  const match = /^LSN-(\d{4})-\d+$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

/**
 * The regex is matched against loaded module names later; one that does not compile here
 * (Canonical writes them for Python) would fail there, so it is dropped with a warning now.
 */
export function checkedModuleRegex(
  regex: string,
  where: (string | number)[],
  findings: Finding[],
): string | undefined {
  try {
    new RegExp(regex);
    return regex;
  } catch (error) {
    findings.push(
      warning(
        where,
        `'${regex}' is not a regular expression JavaScript can use (${(error as Error).message}); it is left out`,
      ),
    );
    return undefined;
  }
}
