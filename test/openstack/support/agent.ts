/** The fake-compute HostAgent on the lab's computes, as the end-to-end run and the conformance suite use it. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PackageRef } from '../../../src/core/ports.js';
import { wallClock } from '../../../src/drivers/libvirt/index.js';
import { createFakeComputeAgent, type NovaPlatform } from '../../../src/drivers/openstack/index.js';
import type { Cloud } from './cloud.js';

export const LAB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'openstack');

/** What each fake compute "runs" before the campaign: a kernel one update behind. */
export const BASELINE: PackageRef[] = [
  { name: 'linux-image-amd64', version: '6.1.115-1', source: 'linux' },
  { name: 'python3-nova', version: '2:26.2.2-1~deb12u5', source: 'nova' },
];
export const KERNEL_UPDATE: PackageRef = { name: 'linux-image-amd64', version: '6.1.119-1', source: 'linux' };

/** A fresh record of installed versions per call: every run starts from the baseline. */
export async function labAgent(cloud: Cloud, nova: NovaPlatform) {
  return createFakeComputeAgent({
    hosts: cloud.computes,
    labDir: LAB_DIR,
    stateDir: await mkdtemp(join(tmpdir(), 'hvpatch-fake-computes-')),
    baseline: BASELINE,
    nova,
    clock: wallClock,
  });
}
