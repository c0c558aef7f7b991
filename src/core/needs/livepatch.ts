import type { Advisory, LivepatchCoverage } from '../advisories/index.js';
import type { RunningKernel } from '../model/index.js';
import { advisorySource, parseKernelAbi, parseKernelRelease, type KernelRelease } from './kernel.js';
import type { LivepatchCover } from './model.js';

/**
 * Canonical gives each kernel version of an LTS release live patches for 13 months from
 * that kernel's release (its "sliding support window", since 20 April 2023; see
 * ubuntu.com/security/livepatch/docs/kernels). Some 24.04 HWE series get 9 months; they
 * are not told apart here, so for them `coveredUntil` is 4 months late.
 */
const WINDOW_MONTHS = 13;

interface Covering {
  notices: readonly Advisory[];
  cves: ReadonlySet<string>;
}

const NOTHING: Covering = { notices: [], cves: new Set() };

/** Livepatch notices by release, and which of them cover a given running kernel. */
export class LivepatchIndex {
  private readonly byRelease = new Map<string, { notice: Advisory; coverage: LivepatchCoverage }[]>();
  private readonly known = new Map<string, Covering>();

  constructor(advisories: readonly Advisory[]) {
    for (const notice of advisories) {
      for (const coverage of notice.livepatch) {
        const list = this.byRelease.get(coverage.release.version);
        if (list) list.push({ notice, coverage });
        else this.byRelease.set(coverage.release.version, [{ notice, coverage }]);
      }
    }
  }

  /** The notices whose live patch applies to `kernel` on an Ubuntu `release`, and their CVEs. */
  covering(release: string, kernel: RunningKernel): Covering {
    const cacheKey = `${release}\u0000${kernel.source}\u0000${kernel.release}`;
    let found = this.known.get(cacheKey);
    if (found !== undefined) return found;
    const parsed = parseKernelRelease(kernel.release);
    const entries = this.byRelease.get(release) ?? [];
    const notices = new Set<Advisory>();
    for (const { notice, coverage } of entries) {
      if (covers(coverage, advisorySource(kernel.source), parsed)) notices.add(notice);
    }
    found = notices.size === 0 ? NOTHING : { notices: [...notices], cves: cvesOf(notices) };
    this.known.set(cacheKey, found);
    return found;
  }
}

/**
 * Native notices name a flavour: `linux` (the release's own generic kernel), a derivative
 * (`aws`, `lowlatency` → linux-aws, linux-lowlatency) or a flavour of a series
 * (`generic-5.15` on focal is the hwe-5.15 kernel) and the lowest ABI patched; OSV notices
 * name the kernel source itself.
 */
function covers(coverage: LivepatchCoverage, source: string, running: KernelRelease | undefined): boolean {
  if (coverage.kernelSource !== undefined) return advisorySource(coverage.kernelSource) === source;
  const { flavour } = coverage;
  const from = coverage.coveredFrom === undefined ? undefined : parseKernelAbi(coverage.coveredFrom);
  if (flavour === undefined || from === undefined || running === undefined) return false;
  if (from.base !== running.base || running.abi < from.abi) return false;
  if (flavour === 'linux') return source === 'linux' && running.flavour === 'generic';
  const series = running.base.split('.').slice(0, 2).join('.');
  return `linux-${flavour}` === source || flavour === `${running.flavour}-${series}`;
}

function cvesOf(notices: ReadonlySet<Advisory>): Set<string> {
  const cves = new Set<string>();
  for (const notice of notices) for (const cve of notice.cves) cves.add(cve);
  return cves;
}

/**
 * A live patch takes a fix into effect only when it carries every one of its CVEs; a fix
 * naming no CVE (a regression update) is never live patched.
 */
export function livepatchCover(
  covering: Covering,
  cves: readonly string[],
  kernelPublished: string | undefined,
): LivepatchCover | undefined {
  if (cves.length === 0 || !cves.every((cve) => covering.cves.has(cve))) return undefined;
  const notices = covering.notices
    .filter((notice) => notice.cves.some((cve) => cves.includes(cve)))
    .map((notice) => ({
      id: notice.id,
      ...(notice.published !== undefined && { published: notice.published }),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const until = kernelPublished === undefined ? undefined : windowEnd(kernelPublished);
  return { notices, ...(until !== undefined && { coveredUntil: until }) };
}

/** The CVEs no covering notice carries, for saying why a kernel fix needs a reboot. */
export function uncoveredCves(covering: Covering, cves: readonly string[]): string[] {
  return cves.filter((cve) => !covering.cves.has(cve));
}

function windowEnd(published: string): string | undefined {
  const at = Date.parse(published);
  if (Number.isNaN(at)) return undefined;
  const end = new Date(at);
  end.setUTCMonth(end.getUTCMonth() + WINDOW_MONTHS);
  return end.toISOString();
}
