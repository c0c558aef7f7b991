import type { DisruptionClass } from './model.js';

/** Live patching is decided from Livepatch notices, never by a rule. */
export type RuleClass = Exclude<DisruptionClass, 'live-patch'>;

export interface DisruptionRule {
  /** A source package name; `*` stands for any run of characters (`linux-*`). */
  match: string;
  class: RuleClass;
  reason: string;
}

/**
 * The first rule whose pattern matches a source package decides its class; rules given by
 * the user are tried before these. Order matters where patterns overlap (linux-firmware
 * before linux-*).
 */
export const DEFAULT_DISRUPTION_RULES: readonly DisruptionRule[] = [
  {
    match: 'linux-firmware',
    class: 'reboot',
    reason: 'drivers load firmware when they initialise the device, in practice at boot',
  },
  {
    match: 'linux',
    class: 'reboot',
    reason: 'a new kernel runs only after a reboot, unless a live patch covers the fix',
  },
  {
    match: 'linux-*',
    class: 'reboot',
    reason: 'a new kernel runs only after a reboot, unless a live patch covers the fix',
  },
  { match: 'intel-microcode', class: 'reboot', reason: 'CPU microcode is loaded early at boot' },
  { match: 'amd64-microcode', class: 'reboot', reason: 'CPU microcode is loaded early at boot' },
  { match: 'firmware-*', class: 'reboot', reason: 'device firmware is loaded at boot' },
  {
    match: 'qemu',
    class: 'guest-restart-or-migrate',
    reason:
      'running guests keep the old QEMU binary until they are restarted or live-migrated to a patched host',
  },
  { match: 'libvirt', class: 'daemon-restart', reason: 'restarting libvirtd does not touch running guests' },
  {
    match: 'openvswitch',
    class: 'daemon-restart-blip',
    reason: "restarting ovs-vswitchd interrupts the guests' datapath briefly",
  },
  { match: 'openssh', class: 'daemon-restart', reason: 'sshd restarts; guests are not involved' },
  {
    // PID 1 and every guest's QEMU process map the C library: restarting all of them is a reboot.
    match: 'glibc',
    class: 'reboot',
    reason: 'every process maps the C library, guest QEMU processes and PID 1 included',
  },
  {
    match: 'eglibc',
    class: 'reboot',
    reason: 'every process maps the C library, guest QEMU processes and PID 1 included',
  },
  {
    match: 'openssl',
    class: 'library-restart',
    reason: 'processes keep the old library mapped until the services using it restart',
  },
  {
    match: 'openssl1.0',
    class: 'library-restart',
    reason: 'processes keep the old library mapped until the services using it restart',
  },
];

const NO_RULE = { class: 'none', reason: 'no disruption rule matches this package' } as const;

export interface Classifier {
  classify(source: string): { class: RuleClass; reason: string };
}

/** `extra` rules first, then the defaults; each source is classified once. */
export function createClassifier(extra: readonly DisruptionRule[] = []): Classifier {
  const compiled = [...extra, ...DEFAULT_DISRUPTION_RULES].map((rule) => ({
    rule,
    pattern: globPattern(rule.match),
  }));
  const known = new Map<string, { class: RuleClass; reason: string }>();
  return {
    classify(source) {
      let decided = known.get(source);
      if (decided === undefined) {
        const found = compiled.find(({ pattern }) => pattern.test(source))?.rule;
        decided = found ? { class: found.class, reason: found.reason } : NO_RULE;
        known.set(source, decided);
      }
      return decided;
    },
  };
}

function globPattern(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
