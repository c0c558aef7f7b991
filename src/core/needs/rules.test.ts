import { describe, expect, it } from 'vitest';
import { describeIssues } from '../documents/index.js';
import { createClassifier, DEFAULT_DISRUPTION_RULES } from './rules.js';
import { DisruptionRulesFile, rulesOfFile } from './rules-file.js';

describe('the disruption rules table', () => {
  const classify = (source: string) => createClassifier().classify(source).class;

  it('classes the hypervisor stack as the issue asks', () => {
    expect(
      Object.fromEntries(
        [
          'linux',
          'linux-hwe-5.15',
          'linux-lowlatency',
          'linux-firmware',
          'intel-microcode',
          'amd64-microcode',
          'firmware-nonfree',
          'qemu',
          'libvirt',
          'openvswitch',
          'openssl',
          'openssl1.0',
          'glibc',
          'eglibc',
          'openssh',
          'systemd',
          'bash',
        ].map((source) => [source, classify(source)]),
      ),
    ).toEqual({
      linux: 'reboot',
      'linux-hwe-5.15': 'reboot',
      'linux-lowlatency': 'reboot',
      'linux-firmware': 'reboot',
      'intel-microcode': 'reboot',
      'amd64-microcode': 'reboot',
      'firmware-nonfree': 'reboot',
      qemu: 'guest-restart-or-migrate',
      libvirt: 'daemon-restart',
      openvswitch: 'daemon-restart-blip',
      openssl: 'library-restart',
      'openssl1.0': 'library-restart',
      glibc: 'reboot',
      eglibc: 'reboot',
      openssh: 'daemon-restart',
      systemd: 'none',
      bash: 'none',
    });
  });

  it('never matches by prefix alone, and treats regex characters literally', () => {
    expect(classify('linuxfoo')).toBe('none');
    expect(classify('qemu-guest-agent')).toBe('none');
    const dotted = createClassifier([{ match: 'openssl1.0', class: 'reboot', reason: 'x' }]);
    expect(dotted.classify('openssl1x0').class).toBe('none');
    expect(dotted.classify('openssl1.0').class).toBe('reboot');
  });

  it('tries extra rules first, so users can override and extend the defaults', () => {
    const classifier = createClassifier([
      { match: 'systemd', class: 'daemon-restart', reason: 'systemctl daemon-reexec' },
      { match: 'ceph*', class: 'daemon-restart', reason: 'ceph daemons restart one by one' },
      { match: 'glibc', class: 'library-restart', reason: 'we restart services one by one' },
    ]);
    expect(classifier.classify('systemd')).toEqual({
      class: 'daemon-restart',
      reason: 'systemctl daemon-reexec',
    });
    expect(classifier.classify('ceph-common').class).toBe('daemon-restart');
    expect(classifier.classify('glibc').class).toBe('library-restart');
    expect(classifier.classify('qemu').class).toBe('guest-restart-or-migrate');
  });

  it('gives every default rule a reason', () => {
    for (const rule of DEFAULT_DISRUPTION_RULES) expect(rule.reason.length).toBeGreaterThan(10);
  });
});

describe('the --rules file', () => {
  it('reads a disruptionRules list, with a default reason', () => {
    const file = DisruptionRulesFile.parse({
      disruptionRules: [
        { match: 'ceph*', class: 'daemon-restart' },
        { match: 'nova', class: 'none', reason: 'stateless' },
      ],
    });
    expect(rulesOfFile(file)).toEqual([
      {
        match: 'ceph*',
        class: 'daemon-restart',
        reason: 'a configured rule classes ceph* as daemon-restart',
      },
      { match: 'nova', class: 'none', reason: 'stateless' },
    ]);
  });

  it('names each bad field: live-patch is not a rule class, patterns are package names, no unknown keys', () => {
    const input = {
      disruptionRules: [
        { match: 'linux', class: 'live-patch' },
        { match: 'Foo Bar', class: 'reboot' },
        { match: 'x', class: 'reboot', because: 'typo' },
      ],
      extra: 1,
    };
    const parsed = DisruptionRulesFile.safeParse(input);
    expect(parsed.success).toBe(false);
    const issues = describeIssues(parsed.error!.issues, input).map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'disruptionRules.0.class: must be one of "none", "daemon-restart", "library-restart", "daemon-restart-blip", "guest-restart-or-migrate", "reboot"; got "live-patch"',
        expect.stringMatching(/^disruptionRules\.1\.match: must be a source package name/),
        "disruptionRules.2.because: unknown field 'because'",
        "extra: unknown field 'extra'",
      ]),
    );
  });
});
