/**
 * Real Ubuntu package versions for synthetic hypervisors, oldest first. Where a track names
 * `fixedBy`, every version is copied from that notice in data/advisories/osv: the earlier
 * ones from `affected[].versions[]` (so a host on them needs the update) and the last from
 * `ranges[].events[].fixed` (so a host on it is already patched). Tracks without `fixedBy`
 * have no notice in the shared set; their versions were checked against public apt logs
 * instead, and a needs check will find nothing to do for them, which is also realistic.
 */

export type ReleaseVersion = '20.04' | '22.04' | '24.04';
export type CpuVendor = 'intel' | 'amd';

export interface PackageTrack {
  /** Source package, the name the advisories use. */
  readonly source: string;
  /** Binary packages a hypervisor has installed from that source. */
  readonly binaries: readonly string[];
  /** Oldest first. */
  readonly versions: readonly string[];
  /** The notice whose fixed version is the last entry of `versions`. */
  readonly fixedBy?: string;
  /** Installed only on hosts with this CPU vendor (microcode). */
  readonly vendor?: CpuVendor;
}

export interface KernelTrack {
  readonly source: string;
  /** The `uname -r` suffix: `5.15.0-91-generic`. */
  readonly flavour: string;
  readonly versions: readonly string[];
  readonly fixedBy: string;
}

export interface ReleaseSoftware {
  readonly version: ReleaseVersion;
  readonly codename: string;
  readonly qemu: PackageTrack;
  /** Everything else a hypervisor carries that advisories commonly touch. */
  readonly packages: readonly PackageTrack[];
  readonly kernel: KernelTrack;
  /** Ubuntu's QEMU keeps the previous release's machine types, so guests started there keep running. */
  readonly machineTypes: readonly string[];
}

const QEMU_BINARIES = ['qemu-system-x86', 'qemu-system-common', 'qemu-block-extra'];
const LIBVIRT_BINARIES = ['libvirt-daemon-system', 'libvirt-clients', 'libvirt0'];
const OVS_BINARIES = ['openvswitch-switch', 'openvswitch-common'];
const GLIBC_BINARIES = ['libc6', 'libc-bin'];
const OPENSSH_BINARIES = ['openssh-server', 'openssh-client'];

/**
 * Kernels: the hwe-5.15 kernel on 20.04 and the lowlatency kernels on 22.04/24.04, because
 * those are the hypervisor-capable kernels that have a notice in the shared set (the generic
 * `linux` notices are too large to have been copied); their version numbering follows the
 * generic kernel's.
 */
export const RELEASES: Readonly<Record<ReleaseVersion, ReleaseSoftware>> = {
  '20.04': {
    version: '20.04',
    codename: 'focal',
    qemu: {
      source: 'qemu',
      binaries: [...QEMU_BINARIES, 'qemu-kvm'],
      versions: [
        '1:4.2-3ubuntu6.24',
        '1:4.2-3ubuntu6.25',
        '1:4.2-3ubuntu6.26',
        '1:4.2-3ubuntu6.27',
        '1:4.2-3ubuntu6.28',
        '1:4.2-3ubuntu6.29',
      ],
      fixedBy: 'USN-6567-2',
    },
    packages: [
      {
        source: 'libvirt',
        binaries: LIBVIRT_BINARIES,
        versions: [
          '6.0.0-0ubuntu8.13',
          '6.0.0-0ubuntu8.14',
          '6.0.0-0ubuntu8.15',
          '6.0.0-0ubuntu8.16',
          '6.0.0-0ubuntu8.19',
        ],
        fixedBy: 'USN-6734-1',
      },
      {
        source: 'openvswitch',
        binaries: OVS_BINARIES,
        versions: [
          '2.13.5-0ubuntu1',
          '2.13.8-0ubuntu1',
          '2.13.8-0ubuntu1.1',
          '2.13.8-0ubuntu1.2',
          '2.13.8-0ubuntu1.3',
          '2.13.8-0ubuntu1.4',
        ],
        fixedBy: 'USN-6690-1',
      },
      {
        source: 'openssl',
        binaries: ['openssl', 'libssl1.1'],
        versions: [
          '1.1.1f-1ubuntu2.16',
          '1.1.1f-1ubuntu2.17',
          '1.1.1f-1ubuntu2.18',
          '1.1.1f-1ubuntu2.19',
          '1.1.1f-1ubuntu2.20',
          '1.1.1f-1ubuntu2.21',
          '1.1.1f-1ubuntu2.22',
        ],
        fixedBy: 'USN-6663-1',
      },
      {
        source: 'glibc',
        binaries: GLIBC_BINARIES,
        versions: ['2.31-0ubuntu9.9', '2.31-0ubuntu9.12', '2.31-0ubuntu9.14', '2.31-0ubuntu9.15'],
        fixedBy: 'USN-6737-1',
      },
      {
        source: 'openssh',
        binaries: OPENSSH_BINARIES,
        versions: [
          '1:8.2p1-4ubuntu0.5',
          '1:8.2p1-4ubuntu0.7',
          '1:8.2p1-4ubuntu0.8',
          '1:8.2p1-4ubuntu0.9',
          '1:8.2p1-4ubuntu0.10',
        ],
        fixedBy: 'USN-6560-1',
      },
      // No 20.04 systemd notice in the shared set; versions from public focal apt logs.
      {
        source: 'systemd',
        binaries: ['systemd', 'libsystemd0'],
        versions: ['245.4-4ubuntu3.20', '245.4-4ubuntu3.22', '245.4-4ubuntu3.23'],
      },
      {
        source: 'intel-microcode',
        binaries: ['intel-microcode'],
        versions: [
          '3.20230808.0ubuntu0.20.04.1',
          '3.20231114.0ubuntu0.20.04.1',
          '3.20240514.0ubuntu0.20.04.1',
          '3.20240813.0ubuntu0.20.04.2',
          '3.20240910.0ubuntu0.20.04.1',
          '3.20241112.0ubuntu0.20.04.1',
        ],
        fixedBy: 'USN-7149-1',
        vendor: 'intel',
      },
    ],
    kernel: {
      source: 'linux-hwe-5.15',
      flavour: 'generic',
      versions: [
        '5.15.0-78.85~20.04.1',
        '5.15.0-79.86~20.04.2',
        '5.15.0-82.91~20.04.1',
        '5.15.0-83.92~20.04.1',
        '5.15.0-84.93~20.04.1',
        '5.15.0-86.96~20.04.1',
      ],
      fixedBy: 'USN-6416-2',
    },
    machineTypes: ['pc-q35-focal', 'pc-i440fx-focal', 'pc-q35-bionic', 'pc-i440fx-bionic'],
  },
  '22.04': {
    version: '22.04',
    codename: 'jammy',
    qemu: {
      source: 'qemu',
      binaries: QEMU_BINARIES,
      versions: [
        '1:6.2+dfsg-2ubuntu6.14',
        '1:6.2+dfsg-2ubuntu6.15',
        '1:6.2+dfsg-2ubuntu6.16',
        '1:6.2+dfsg-2ubuntu6.17',
        '1:6.2+dfsg-2ubuntu6.18',
        '1:6.2+dfsg-2ubuntu6.19',
        '1:6.2+dfsg-2ubuntu6.21',
      ],
      fixedBy: 'USN-6567-2',
    },
    packages: [
      {
        source: 'libvirt',
        binaries: LIBVIRT_BINARIES,
        versions: [
          '8.0.0-1ubuntu7.5',
          '8.0.0-1ubuntu7.6',
          '8.0.0-1ubuntu7.7',
          '8.0.0-1ubuntu7.8',
          '8.0.0-1ubuntu7.9',
          '8.0.0-1ubuntu7.10',
        ],
        fixedBy: 'USN-6734-1',
      },
      {
        source: 'openvswitch',
        binaries: OVS_BINARIES,
        versions: [
          '2.17.3-0ubuntu0.22.04.2',
          '2.17.5-0ubuntu0.22.04.2',
          '2.17.7-0ubuntu0.22.04.1',
          '2.17.8-0ubuntu0.22.04.1',
          '2.17.9-0ubuntu0.22.04.1',
        ],
        fixedBy: 'USN-6690-1',
      },
      {
        source: 'openssl',
        binaries: ['openssl', 'libssl3'],
        versions: [
          '3.0.2-0ubuntu1.9',
          '3.0.2-0ubuntu1.10',
          '3.0.2-0ubuntu1.12',
          '3.0.2-0ubuntu1.13',
          '3.0.2-0ubuntu1.14',
          '3.0.2-0ubuntu1.15',
        ],
        fixedBy: 'USN-6663-1',
      },
      {
        source: 'glibc',
        binaries: GLIBC_BINARIES,
        versions: [
          '2.35-0ubuntu3.3',
          '2.35-0ubuntu3.4',
          '2.35-0ubuntu3.5',
          '2.35-0ubuntu3.6',
          '2.35-0ubuntu3.7',
        ],
        fixedBy: 'USN-6737-1',
      },
      {
        source: 'openssh',
        binaries: OPENSSH_BINARIES,
        versions: [
          '1:8.9p1-3ubuntu0.4',
          '1:8.9p1-3ubuntu0.5',
          '1:8.9p1-3ubuntu0.6',
          '1:8.9p1-3ubuntu0.7',
          '1:8.9p1-3ubuntu0.10',
        ],
        fixedBy: 'USN-6859-1',
      },
      {
        source: 'systemd',
        binaries: ['systemd', 'libsystemd0', 'udev'],
        versions: [
          '249.11-0ubuntu3.11',
          '249.11-0ubuntu3.12',
          '249.11-0ubuntu3.15',
          '249.11-0ubuntu3.16',
          '249.11-0ubuntu3.17',
          '249.11-0ubuntu3.19',
        ],
        fixedBy: 'USN-8119-1',
      },
      {
        source: 'intel-microcode',
        binaries: ['intel-microcode'],
        versions: [
          '3.20231114.0ubuntu0.22.04.1',
          '3.20240514.0ubuntu0.22.04.1',
          '3.20240813.0ubuntu0.22.04.2',
          '3.20240910.0ubuntu0.22.04.1',
          '3.20241112.0ubuntu0.22.04.1',
        ],
        fixedBy: 'USN-7149-1',
        vendor: 'intel',
      },
    ],
    kernel: {
      source: 'linux-lowlatency',
      flavour: 'lowlatency',
      versions: [
        '5.15.0-88.98',
        '5.15.0-89.99',
        '5.15.0-91.101',
        '5.15.0-92.102',
        '5.15.0-94.104',
        '5.15.0-97.107',
        '5.15.0-100.110',
      ],
      fixedBy: 'USN-6686-2',
    },
    machineTypes: ['pc-q35-jammy', 'pc-i440fx-jammy', 'pc-q35-focal', 'pc-i440fx-focal'],
  },
  '24.04': {
    version: '24.04',
    codename: 'noble',
    // No 24.04 QEMU notice in the shared set; versions from public noble apt logs.
    qemu: {
      source: 'qemu',
      binaries: QEMU_BINARIES,
      versions: ['1:8.2.2+ds-0ubuntu1', '1:8.2.2+ds-0ubuntu1.4'],
    },
    packages: [
      {
        source: 'libvirt',
        binaries: LIBVIRT_BINARIES,
        versions: ['10.0.0-2ubuntu5', '10.0.0-2ubuntu7', '10.0.0-2ubuntu8', '10.0.0-2ubuntu8.1'],
        fixedBy: 'USN-6734-2',
      },
      // openvswitch, openssl and glibc: no 24.04 notice in the shared set; public noble apt logs.
      { source: 'openvswitch', binaries: OVS_BINARIES, versions: ['3.3.0-1ubuntu3', '3.3.0-1ubuntu3.1'] },
      {
        source: 'openssl',
        binaries: ['openssl', 'libssl3t64'],
        versions: ['3.0.13-0ubuntu3.1', '3.0.13-0ubuntu3.4', '3.0.13-0ubuntu3.5'],
      },
      {
        source: 'glibc',
        binaries: GLIBC_BINARIES,
        versions: ['2.39-0ubuntu8', '2.39-0ubuntu8.2', '2.39-0ubuntu8.3'],
      },
      {
        source: 'openssh',
        binaries: OPENSSH_BINARIES,
        versions: ['1:9.6p1-3ubuntu11', '1:9.6p1-3ubuntu12', '1:9.6p1-3ubuntu13', '1:9.6p1-3ubuntu13.3'],
        fixedBy: 'USN-6859-1',
      },
      {
        source: 'systemd',
        binaries: ['systemd', 'libsystemd0', 'libsystemd-shared', 'udev'],
        versions: [
          '255.4-1ubuntu8.6',
          '255.4-1ubuntu8.8',
          '255.4-1ubuntu8.10',
          '255.4-1ubuntu8.11',
          '255.4-1ubuntu8.12',
          '255.4-1ubuntu8.14',
        ],
        fixedBy: 'USN-8119-1',
      },
      {
        source: 'intel-microcode',
        binaries: ['intel-microcode'],
        versions: [
          '3.20240312.1build1',
          '3.20240514.0ubuntu0.24.04.1',
          '3.20240813.0ubuntu0.24.04.2',
          '3.20240910.0ubuntu0.24.04.1',
          '3.20241112.0ubuntu0.24.04.1',
        ],
        fixedBy: 'USN-7149-1',
        vendor: 'intel',
      },
    ],
    kernel: {
      source: 'linux-lowlatency',
      flavour: 'lowlatency',
      versions: ['6.8.0-31.31.1', '6.8.0-35.35.1', '6.8.0-36.36.1', '6.8.0-38.38.1', '6.8.0-39.39.1'],
      fixedBy: 'USN-6921-2',
    },
    machineTypes: ['pc-q35-noble', 'pc-i440fx-noble', 'pc-q35-jammy', 'pc-i440fx-jammy'],
  },
};

/**
 * Infrastructure VMs (DNS, directory) run the virtual-machine kernel, which has its own
 * notice (USN-6686-4); their userland comes from the 22.04 tracks above.
 */
export const LINUX_KVM_2204: KernelTrack = {
  source: 'linux-kvm',
  flavour: 'kvm',
  versions: [
    '5.15.0-1047.52',
    '5.15.0-1048.53',
    '5.15.0-1049.54',
    '5.15.0-1050.55',
    '5.15.0-1051.56',
    '5.15.0-1052.57',
  ],
  fixedBy: 'USN-6686-4',
};

/** `5.15.0-86.96~20.04.1` with flavour `generic` → `5.15.0-86-generic`, as `uname -r` prints it. */
export function kernelRelease(version: string, flavour: string): string {
  const match = /^(\d+\.\d+\.\d+)-(\d+)\./.exec(version);
  if (!match) throw new Error(`'${version}' is not an Ubuntu kernel package version`);
  return `${match[1]}-${match[2]}-${flavour}`;
}
