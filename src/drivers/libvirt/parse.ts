/**
 * Parsers for what `virsh` prints. virsh has no machine-readable mode for most commands,
 * so each parser reads the stable `key=value` or `Key: value` layouts and refuses anything
 * else loudly rather than guess.
 */
import { Unavailable } from '../../core/errors.js';
import type { GuestRunState } from '../../core/ports.js';

/** libvirt's virDomainState numbers, which `domstats --state` prints. */
export const DomainState = {
  noState: 0,
  running: 1,
  blocked: 2,
  paused: 3,
  shuttingDown: 4,
  shutOff: 5,
  crashed: 6,
  suspended: 7,
} as const;

/** virDomainPausedReason: paused because a migration is copying it in or switching it over. */
export const PAUSED_MIGRATION = 2;

export interface DomainStats {
  name: string;
  state: number;
  reason: number;
  /** Current memory; libvirt reports it from the definition even without a balloon device. */
  memoryMiB: number;
  vcpus: number;
}

/** `virsh domstats --state --balloon --vcpu`: one `Domain: 'NAME'` block per domain. */
export function parseDomstats(text: string): DomainStats[] {
  const domains: DomainStats[] = [];
  let current: Record<string, string> | undefined;
  let name = '';
  const flush = () => {
    if (!current) return;
    domains.push({
      name,
      state: integer(current['state.state'], `state.state of '${name}'`),
      reason: integer(current['state.reason'] ?? '0', `state.reason of '${name}'`),
      memoryMiB: integer(current['balloon.current'] ?? current['balloon.maximum'] ?? '0', 'balloon') / 1024,
      vcpus: integer(current['vcpu.current'] ?? current['vcpu.maximum'] ?? '0', 'vcpu'),
    });
  };
  for (const line of text.split('\n')) {
    const header = /^Domain: '(.*)'$/.exec(line.trim());
    if (header) {
      flush();
      name = header[1]!;
      current = {};
      continue;
    }
    const field = /^\s+([\w.]+)=(.*)$/.exec(line);
    if (field && current) current[field[1]!] = field[2]!;
  }
  flush();
  return domains;
}

/** `virsh list --name`: one name per line, blank lines between groups. */
export function parseNames(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** How the port sees a libvirt state: anything with a live QEMU process is running. */
export function runState(state: number): GuestRunState {
  return state === DomainState.shutOff || state === DomainState.crashed || state === DomainState.noState
    ? 'stopped'
    : 'running';
}

export interface JobInfo {
  /** `None`, `Unbounded` (running), `Completed`, `Failed`, `Cancelled`. */
  type: string;
  operation?: string;
  elapsedMs?: number;
  processedMiB?: number;
  remainingMiB?: number;
  totalMiB?: number;
  /** Memory pass in progress, 1 for the first full copy. */
  iteration?: number;
  downtimeMs?: number;
  expectedDowntimeMs?: number;
  throttlePercent?: number;
}

/** `virsh domjobinfo [--completed]`: `Key:   value unit` lines. */
export function parseDomjobinfo(text: string): JobInfo {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z][A-Za-z /-]*?):\s+(.*?)\s*$/.exec(line);
    if (match) fields.set(match[1]!, match[2]!);
  }
  const type = fields.get('Job type');
  if (type === undefined) throw unexpected(`not domjobinfo output: ${JSON.stringify(text.slice(0, 200))}`);
  const ms = (key: string) => optional(fields.get(key), (v) => milliseconds(v, key));
  const mib = (key: string) => optional(fields.get(key), (v) => mebibytes(v, key));
  const info: JobInfo = { type };
  const set = <K extends keyof JobInfo>(key: K, value: JobInfo[K] | undefined) => {
    if (value !== undefined) info[key] = value;
  };
  set('operation', fields.get('Operation'));
  set('elapsedMs', ms('Time elapsed'));
  set('processedMiB', mib('Data processed'));
  set('remainingMiB', mib('Data remaining'));
  set('totalMiB', mib('Data total'));
  set(
    'iteration',
    optional(fields.get('Iteration'), (v) => integer(v, 'Iteration')),
  );
  set('downtimeMs', ms('Total downtime'));
  set('expectedDowntimeMs', ms('Expected downtime'));
  set(
    'throttlePercent',
    optional(fields.get('Auto converge throttle'), (v) => integer(v.replace(/\s*%$/, ''), 'throttle')),
  );
  return info;
}

/** QMP `query-version`: `package` is the distribution's version ("Debian 1:7.2+dfsg-7+deb12u15"). */
export function parseQueryVersion(text: string): string {
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    throw unexpected(`query-version did not answer JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const value = (reply as { return?: { package?: unknown; qemu?: Record<string, unknown> } }).return;
  if (!value || typeof value !== 'object') throw unexpected(`query-version answered no version: ${text}`);
  const pkg = typeof value.package === 'string' ? value.package.trim() : '';
  // "Debian 1:7.2+dfsg-7+deb12u15": the distribution's name, then its package version.
  const packaged = /^(?:[A-Za-z][\w-]*\s+)?(\d[\w.+~:-]*)$/.exec(pkg);
  if (packaged) return packaged[1]!;
  const q = value.qemu ?? {};
  if ([q.major, q.minor, q.micro].every((n) => typeof n === 'number'))
    return `${q.major}.${q.minor}.${q.micro}`;
  throw unexpected(`query-version answered no version: ${text}`);
}

/** `virsh nodeinfo`: the CPUs and memory the host's libvirt sees. */
export function parseNodeinfo(text: string): { cpus: number; memoryMiB: number } {
  const cpus = /^CPU\(s\):\s+(\d+)/m.exec(text);
  const memory = /^Memory size:\s+(\d+) KiB/m.exec(text);
  if (!cpus || !memory) throw unexpected(`not nodeinfo output: ${JSON.stringify(text.slice(0, 200))}`);
  return { cpus: Number(cpus[1]), memoryMiB: Math.floor(Number(memory[1]) / 1024) };
}

const UNITS: Record<string, number> = {
  B: 1 / 1024 / 1024,
  KiB: 1 / 1024,
  MiB: 1,
  GiB: 1024,
  TiB: 1024 * 1024,
};

function mebibytes(value: string, key: string): number {
  const match = /^([\d.]+)\s*(B|KiB|MiB|GiB|TiB)$/.exec(value);
  if (!match) throw unexpected(`${key}: '${value}' is not a size`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

function milliseconds(value: string, key: string): number {
  const match = /^(\d+)\s*ms$/.exec(value);
  if (!match) throw unexpected(`${key}: '${value}' is not a duration in ms`);
  return Number(match[1]);
}

function integer(value: string | undefined, what: string): number {
  if (value === undefined || !/^-?\d+$/.test(value.trim()))
    throw unexpected(`${what}: '${value}' is not a number`);
  return Number(value);
}

function optional<T>(value: string | undefined, parse: (value: string) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}

/** Output we cannot read means libvirt is not answering as this driver expects it to. */
function unexpected(message: string): Unavailable {
  return new Unavailable(`unexpected virsh output: ${message}`);
}
