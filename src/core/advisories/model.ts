/**
 * The one shape every advisory format is turned into. Parsers fill it from OSV (Ubuntu USN and
 * LSN, Debian DSA/DLA) and from Canonical's native Livepatch notices; everything downstream
 * (needs, planner) reads only this.
 */

export type AdvisoryKind = 'usn' | 'lsn' | 'debian' | 'osv';

/** Ubuntu's priority scale, lowest first; also the scale of an advisory's overall severity. */
export const SEVERITIES = ['negligible', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Cvss {
  vector: string;
  version: '3.0' | '3.1';
  baseScore: number;
}

export interface CveSeverity {
  cve: string;
  ubuntuPriority?: Severity;
  cvss?: Cvss;
}

/** `Ubuntu:Pro:18.04:LTS`, `Ubuntu:25.10`, `Debian:12`, taken apart. */
export interface Ecosystem {
  distro: 'Ubuntu' | 'Debian';
  /** `22.04`, `25.10`, `12`: what a host's `os.version` says. */
  release: string;
  /** `jammy`, `bookworm`; absent for a release this code does not know by name yet. */
  codename?: string;
  /** Fixes published only to Ubuntu Pro (ESM) subscribers. */
  pro: boolean;
  lts: boolean;
  raw: string;
}

export interface BinaryPackage {
  name: string;
  version: string;
}

/** One (source package, release) the advisory fixes. Versions compare with dpkg rules. */
export interface AffectedPackage {
  ecosystem: Ecosystem;
  /** Source package: kernels and multi-binary packages are matched by source, not binary name. */
  sourcePackage: string;
  /** Lowest affected version, when the advisory says it is not "every version" (`0`). */
  introduced?: string;
  /** Versions at or above this one are fixed; absent when no fix is published yet. */
  fixed?: string;
  affectedVersions?: string[];
  binaries: BinaryPackage[];
}

/** A kernel that a live patch covers, so it can be fixed without a reboot. */
export interface LivepatchCoverage {
  release: { codename: string; version: string };
  /** Kernel source package (OSV LSNs): `linux-aws`, `linux-lts-xenial`. */
  kernelSource?: string;
  /** Livepatch flavour key (native LSNs): `linux`, `generic-5.4`, `aws-5.15`. */
  flavour?: string;
  /** Lowest running kernel ABI the live patch applies to, e.g. `5.15.0-24`. */
  coveredFrom?: string;
  /** Kernel package version that carries the fix itself (OSV LSNs). */
  fixedKernel?: string;
  /** The fix is in loaded livepatch modules whose version (the regex's capture) is at least this. */
  livepatchVersion?: number;
  /** Matches the loaded livepatch module's name; its one capture group is the module version. */
  moduleRegex?: string;
}

export interface Advisory {
  /** `USN-6567-1`, `LSN-0106-1`, `DSA-5678-1`, `DLA-3800-1`. */
  id: string;
  kind: AdvisoryKind;
  summary: string;
  /** ISO 8601 instants, as the source wrote them (OSV makes `published` optional). */
  published?: string;
  modified: string;
  /** `CVE-YYYY-NNNN`, deduplicated and sorted; empty for updates that fix no CVE. */
  cves: string[];
  /** Per-CVE severity, for the CVEs the source rates; sorted like `cves`. */
  severities: CveSeverity[];
  /** The highest per-CVE severity; absent when the source rates none. */
  severity?: Severity;
  /** For an LSN, the kernels the notice's fix is in (OSV LSNs only; native ones do not say). */
  affected: AffectedPackage[];
  /** LSNs only: which running kernels the live patch fixes without a reboot. */
  livepatch: LivepatchCoverage[];
  /** The file or URL this advisory was read from. */
  origin: string;
}
