import { BadInput, type InputProblem } from '../../core/errors.js';
import type { PackageRef } from '../../core/ports.js';
import { checkDebianVersion, compareDebianVersions } from '../../core/versions/index.js';

/** Debian Policy 5.6.1: lower-case letters, digits, `+ - .`; at least two long; starts alphanumeric. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
/**
 * Policy 5.6.12, as dpkg accepts it without a warning: `[epoch:]upstream[-revision]`, upstream
 * starting with a digit. Besides dpkg's own check, a version must be made only of these
 * characters, none of which means anything to apt's command line except as a version.
 */
const VERSION_CHARACTERS = /^(?:\d+:)?[0-9][A-Za-z0-9.+~:-]*$/;

export function isPackageName(name: string): boolean {
  return PACKAGE_NAME.test(name);
}

export function versionProblem(version: string): string | undefined {
  const problem = checkDebianVersion(version);
  if (problem) return problem.message;
  if (!VERSION_CHARACTERS.test(version)) return 'has characters a Debian version cannot hold';
  return undefined;
}

/**
 * Refuses, before anything runs, a package list that is not plainly Debian names and
 * versions: what reaches apt's command line comes from advisories and plans, never trusted.
 */
export function checkPackageRefs(packages: readonly PackageRef[], where = 'packages'): void {
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  packages.forEach((p, i) => {
    if (!isPackageName(p.name)) {
      problems.push({ path: `${where}[${i}].name`, message: `'${p.name}' is not a Debian package name` });
    }
    const problem = versionProblem(p.version);
    if (problem) problems.push({ path: `${where}[${i}].version`, message: `'${p.version}' ${problem}` });
    if (seen.has(p.name)) problems.push({ path: `${where}[${i}].name`, message: `names '${p.name}' twice` });
    seen.add(p.name);
  });
  if (problems.length > 0) throw new BadInput(problems);
}

/**
 * The version to ask apt for: the one planned when the repository has it, else its newest
 * binNMU (`<planned>+bN`: the same source rebuilt, as Debian ships some architecture-dependent
 * binaries of a fixed source). Advisories name source versions, which a rebuilt binary does
 * not carry exactly. Anything else is left as planned, for apt to refuse by name.
 */
export function withRebuilds(
  packages: readonly PackageRef[],
  available: ReadonlyMap<string, readonly string[]>,
): PackageRef[] {
  return packages.map((p) => {
    const offered = available.get(p.name) ?? [];
    if (offered.includes(p.version)) return p;
    const rebuilds = offered.filter(
      (v) => v.startsWith(`${p.version}+b`) && /^\d+$/.test(v.slice(p.version.length + 2)),
    );
    const newest = rebuilds.sort(compareDebianVersions).at(-1);
    return newest === undefined ? p : { ...p, version: newest };
  });
}
