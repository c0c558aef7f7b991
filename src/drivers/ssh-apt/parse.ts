/** Parsers for what the host prints back: dpkg-query, the /proc scan, the running-kernel file. */
import { Unavailable } from '../../core/errors.js';
import type { InstalledPackage, RunningKernel } from '../../core/model/index.js';
import { isPackageName, versionProblem } from './debian.js';

/** `dpkg-query -W -f '${db:Status-Abbrev}\t${Package}\t${Version}\t${source:Package}\n'`: installed ones only. */
export function parseInstalled(text: string): InstalledPackage[] {
  const packages = new Map<string, InstalledPackage>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [status, name, version, source] = line.split('\t');
    // `ii `: wanted install, installed, no error. Removed-but-configured (`rc`) and
    // half-installed packages are not in effect.
    if (status !== 'ii ' || !name || !version) continue;
    if (!isPackageName(name) || versionProblem(version)) continue;
    if (packages.has(name)) continue; // the same package for a second architecture
    packages.set(name, { name, version, ...(source && source !== name && { source }) });
  }
  return [...packages.values()];
}

export interface ScannedProcess {
  pid: number;
  comm: string;
  exe: string;
  /** The binary was replaced on disk after the process started (`/proc/PID/exe` says `(deleted)`). */
  exeDeleted: boolean;
  args?: string[];
  /** Files the process maps that were deleted (replaced) since, for the processes asked about. */
  deletedMaps: string[];
}

const DELETED = ' (deleted)';

/** The output of `PROC_SCAN_SCRIPT`. */
export function parseProcScan(text: string): ScannedProcess[] {
  const byPid = new Map<number, ScannedProcess>();
  for (const line of text.split('\n')) {
    const [kind, pidText, ...rest] = line.split('\t');
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (kind === 'P' && rest.length >= 2) {
      const exe = rest.slice(1).join('\t');
      byPid.set(pid, {
        pid,
        comm: rest[0]!,
        exe: exe.endsWith(DELETED) ? exe.slice(0, -DELETED.length) : exe,
        exeDeleted: exe.endsWith(DELETED),
        deletedMaps: [],
      });
    } else if (kind === 'C') {
      const process = byPid.get(pid);
      if (process) process.args = rest.join('\t').split('\x1f').slice(0, -1);
    } else if (kind === 'M') {
      const path = mappedPath(rest.join('\t'));
      const process = byPid.get(pid);
      if (process && path && !process.deletedMaps.includes(path)) process.deletedMaps.push(path);
    }
  }
  return [...byPid.values()];
}

/**
 * The file of one `/proc/PID/maps` line (`addr perms offset dev inode   path (deleted)`),
 * when it is a program or library file a package could own; memfd, shared memory and
 * anonymous mappings are not.
 */
export function mappedPath(line: string): string | undefined {
  const match = /^\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\/.*?) \(deleted\)$/.exec(line);
  if (!match) return undefined;
  const path = match[1]!;
  return /^\/(usr|lib|lib32|lib64|bin|sbin|opt|etc)\//.test(path) ? path : undefined;
}

/** The libvirt guest name QEMU was started for: `-name guest=NAME,debug-threads=on`. */
export function guestNameOf(args: readonly string[]): string | undefined {
  const at = args.indexOf('-name');
  const value = at >= 0 ? args[at + 1] : undefined;
  if (value === undefined) return undefined;
  // QEMU option values separate keys with ',' and escape a literal comma as ',,'.
  const parts = value.split(/(?<!,),(?!,)/).map((p) => p.replaceAll(',,', ','));
  const named = parts.find((p) => p.startsWith('guest='));
  if (named) return named.slice('guest='.length);
  return parts[0]?.includes('=') ? undefined : parts[0];
}

/** `dpkg-query -S` lines: `pkg1:amd64, pkg2: /path`. Diversion notes are skipped. */
export function parseOwners(text: string): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line.startsWith('diversion ')) continue;
    const match = /^(.+?): (\/.*)$/.exec(line);
    if (!match) continue;
    const packages = match[1]!.split(', ').map((p) => p.replace(/:[a-z0-9-]+$/, ''));
    owners.set(match[2]!, packages.filter(isPackageName));
  }
  return owners;
}

/** `key=value` lines, as the lab's `/run/hvlab/running-kernel` and a host's own script print them. */
export function parseRunningKernel(text: string): RunningKernel {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*(release|version|source)\s*=\s*(\S+)\s*$/.exec(line);
    if (match) fields.set(match[1]!, match[2]!);
  }
  const release = fields.get('release');
  const version = fields.get('version');
  const source = fields.get('source');
  if (!release || !version || !source || versionProblem(version) || !isPackageName(source)) {
    throw new Unavailable(
      `the running kernel was reported as ${JSON.stringify(text.trim())}, not release=, version=, source=`,
    );
  }
  return { release, version, source };
}

/** `uname -r` as something safe to put in a package name. */
export function parseRelease(text: string): string {
  const release = text.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9.+~_-]*$/.test(release)) {
    throw new Unavailable(`uname -r printed ${JSON.stringify(release)}, which is no kernel release`);
  }
  return release;
}

/** `apt-cache madison`: `name | version | source line`, one per version offered; the versions of each package. */
export function parseMadison(text: string): Map<string, string[]> {
  const versions = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [name, version] = line.split('|').map((field) => field.trim());
    if (!name || !version || !isPackageName(name) || versionProblem(version)) continue;
    const known = versions.get(name) ?? [];
    if (!known.includes(version)) known.push(version);
    versions.set(name, known);
  }
  return versions;
}
