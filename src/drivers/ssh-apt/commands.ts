/**
 * The commands this agent runs on a host, each a fixed argument list. Values that come from
 * outside (package names and versions, paths and names the host reported) are only ever
 * whole arguments, checked before they get here and quoted by `shellCommand`.
 */
import type { PackageRef } from '../../core/ports.js';

/** Where the agent remembers the last transaction on each host, for `rollback`. */
export const TRANSACTION_FILE = '/var/lib/hvpatch/last-transaction.json';

export const DPKG_QUERY_FORMAT = '${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${source:Package}\\n';

export function installedPackagesCommand(): string[] {
  return ['dpkg-query', '-W', '-f', DPKG_QUERY_FORMAT];
}

const APT = [
  'env',
  'DEBIAN_FRONTEND=noninteractive',
  'apt-get',
  '-q',
  '-y',
  // Wait for another apt or dpkg to finish instead of failing at once.
  '-o',
  'DPkg::Lock::Timeout=120',
  // Keep the host's edited configuration files; never stop to ask.
  '-o',
  'Dpkg::Options::=--force-confdef',
  '-o',
  'Dpkg::Options::=--force-confold',
];

export function aptUpdateCommand(): string[] {
  return [...APT, 'update'];
}

/** Upgrades exactly these packages to exactly these versions, installing nothing new for them. */
export function aptUpgradeCommand(packages: readonly PackageRef[]): string[] {
  return [
    ...APT,
    'install',
    '--only-upgrade',
    '--no-install-recommends',
    ...packages.map((p) => `${p.name}=${p.version}`),
  ];
}

/** Every version of these packages the host's apt sources offer (`apt-cache madison`). */
export function aptVersionsCommand(names: readonly string[]): string[] {
  return ['apt-cache', 'madison', ...names];
}

export interface Restore {
  name: string;
  /** The version to go back to; absent when the transaction installed the package. */
  version?: string;
}

/** Puts packages back to their versions before a transaction: downgrades, and removes what it added. */
export function aptRestoreCommand(restores: readonly Restore[]): string[] {
  return [
    ...APT,
    'install',
    '--allow-downgrades',
    '--no-install-recommends',
    ...restores.map((r) => (r.version === undefined ? `${r.name}-` : `${r.name}=${r.version}`)),
  ];
}

/**
 * Every process: `P pid comm exe`; the command line of each QEMU (`C pid args`, arguments
 * separated by \x1f); and for processes named in the arguments (the daemons), each mapping
 * of a file deleted since it started (`M pid maps-line`). One pass over /proc, one round trip.
 */
export const PROC_SCAN_SCRIPT = `
for d in /proc/[0-9]*; do
  pid=\${d#/proc/}
  exe=$(readlink "$d/exe" 2>/dev/null) || continue
  comm=$(cat "$d/comm" 2>/dev/null) || continue
  printf 'P\\t%s\\t%s\\t%s\\n' "$pid" "$comm" "$exe"
  case "$exe" in
    */qemu-system-*)
      printf 'C\\t%s\\t' "$pid"
      tr '\\000\\t\\n' '\\037  ' <"$d/cmdline" 2>/dev/null
      printf '\\n' ;;
  esac
  for name in "$@"; do
    if [ "$comm" = "$name" ]; then
      awk -v p="$pid" '/ \\(deleted\\)$/ { print "M\\t" p "\\t" $0 }' "$d/maps" 2>/dev/null
    fi
  done
done
`;

export function procScanCommand(daemonProcesses: readonly string[]): string[] {
  return ['sh', '-c', PROC_SCAN_SCRIPT, 'hvpatch-proc-scan', ...daemonProcesses];
}

/** Which packages own these files (`dpkg-query -S`); paths are whole arguments after `--`. */
export function packagesOwningCommand(paths: readonly string[]): string[] {
  return ['dpkg-query', '-S', '--', ...paths];
}

export function queryVersionCommand(guest: string): string[] {
  return [
    'virsh',
    '-q',
    '--connect',
    'qemu:///system',
    'qemu-monitor-command',
    '--domain',
    guest,
    '--cmd',
    '{"execute":"query-version"}',
  ];
}

export function unameCommand(): string[] {
  return ['uname', '-r'];
}

export function kernelPackageCommand(release: string): string[] {
  return ['dpkg-query', '-W', '-f', '${Version}\\t${source:Package}\\n', `linux-image-${release}`];
}

/** Writes stdin to `file` atomically: a half-written transaction record must never be read. */
export function writeFileCommand(file: string): string[] {
  return [
    'sh',
    '-c',
    'mkdir -p "$(dirname "$1")" && cat >"$1.tmp" && mv "$1.tmp" "$1"',
    'hvpatch-write',
    file,
  ];
}

/** Prints the file, or nothing with exit status 3 when there is none. */
export function readFileCommand(file: string): string[] {
  return ['sh', '-c', 'if [ -e "$1" ]; then cat "$1"; else exit 3; fi', 'hvpatch-read', file];
}

export function removeFileCommand(file: string): string[] {
  return ['rm', '-f', '--', file];
}
