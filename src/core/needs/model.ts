import type { Severity } from '../advisories/index.js';

/**
 * What applying a fix does to the host and its guests, least disruptive first. `live-patch`
 * is never chosen by a rule: it replaces `reboot` for a kernel fix only when a Livepatch
 * notice covers the running kernel and every CVE of the fix.
 */
export const DISRUPTION_CLASSES = [
  'none',
  'live-patch',
  'daemon-restart',
  'library-restart',
  'daemon-restart-blip',
  'guest-restart-or-migrate',
  'reboot',
] as const;
export type DisruptionClass = (typeof DISRUPTION_CLASSES)[number];

export interface LivepatchNotice {
  id: string;
  published?: string;
}

export interface LivepatchCover {
  /** The notices whose live patches carry this fix's CVEs to the running kernel. */
  notices: LivepatchNotice[];
  /**
   * End of Canonical's 13-month Livepatch window for the running kernel, counted from the
   * notice that published that exact kernel version; absent when no loaded notice did.
   */
  coveredUntil?: string;
}

/**
 * One needed change: a source package on a host, with every applicable advisory folded in.
 * `host`, `package`, `installed`, `fixed`, `advisories`, `cves`, `severity`, `due`, `class`
 * and `inEffect` are a contract of `hvpatch needs --json`: always present, null when unknown.
 */
export interface Need {
  host: string;
  /** Source package, the name advisories use. */
  package: string;
  /** The vulnerable version: the lowest of the source's binaries, the newest kernel of a kernel source. */
  installed: string;
  /** The highest fixed version among the applicable advisories: installing it fixes them all. */
  fixed: string;
  advisories: string[];
  cves: string[];
  /** The highest advisory severity; null when no advisory rates one. */
  severity: Severity | null;
  /** Highest CVSS base score and Ubuntu priority among the advisories' CVEs. */
  cvss?: number;
  ubuntuPriority?: Severity;
  /** The earliest publication among the advisories. */
  published?: string;
  /** When the first advisory's policy deadline falls; null without a deadline for its severity. */
  due: string | null;
  overdue: boolean;
  class: DisruptionClass;
  /** Why this class, in words an operator can check. */
  reason: string;
  /**
   * False when the fix is installed but what runs predates it: an old running kernel, guests
   * on an old QEMU binary, daemons still mapping the replaced library.
   */
  inEffect: boolean;
  /** Only Ubuntu Pro (ESM) publishes the fix, and this host has no Pro subscription. */
  needsPro: boolean;
  /** Kernel rows of the running kernel's source: what runs now. */
  runningKernel?: string;
  /** Guests (ids) still running a QEMU binary older than `fixed`. */
  guests?: string[];
  /** Daemons whose restart takes this fix into effect. */
  daemons?: string[];
  livepatch?: LivepatchCover;
}

/** Installed but not running, whatever the advisories say: such a host is not compliant. */
export interface NotInEffect {
  kernel: { source: string; running: string; release: string; newest: string } | null;
  guests: { guest: string; qemuVersion: string; installed: string }[];
  daemons: { daemon: string; mapsDeletedFrom: string[] }[];
}

export interface HostNeeds {
  host: string;
  /** `Ubuntu 22.04`, `Ubuntu 18.04 Pro`. */
  os: string;
  compliant: boolean;
  /** Why the host is not compliant; empty when it is. */
  reasons: string[];
  needs: Need[];
  notInEffect: NotInEffect;
}
