/**
 * What the lab tests know about the lab: only what lab/up wrote to lab/.state/lab.json.
 * When the lab is not up, every lab test fails (never skips) with how to bring it up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const LAB_STATE_FILE = join(ROOT, 'lab', '.state', 'lab.json');
/**
 * Written before a campaign patches the lab's hosts for good: such a lab has nothing left to
 * patch, so `lab/e2e` builds a fresh one (lab/up and lab/down remove it).
 */
export const CAMPAIGN_MARKER = join(ROOT, 'lab', '.state', 'campaign-ran');
/** Where the end-to-end campaign leaves its measurements for `lab/e2e` to print. */
export const E2E_REPORT_FILE = join(ROOT, 'lab', '.state', 'e2e-report.json');

const Argv = z.array(z.string()).min(1);
const LabState = z.object({
  version: z.literal(1),
  labDir: z.string(),
  controller: z.object({ netns: z.string(), address: z.string(), repoUrl: z.string() }),
  switch: z.object({ netns: z.string(), bridge: z.string() }),
  ssh: z.object({ user: z.string(), port: z.number(), privateKeyPath: z.string() }),
  hosts: z.array(
    z.object({
      id: z.string(),
      address: z.string(),
      netns: z.string(),
      switchPort: z.string(),
      libvirtUri: z.string(),
      ssh: z.object({ port: z.number(), user: z.string(), hostKeySha256: z.string() }),
      supervisorPidFile: z.string(),
      initPidFile: z.string(),
      readyFile: z.string(),
      memoryCeilingMiB: z.number(),
      vcpuCeiling: z.number(),
    }),
  ),
  guests: z.array(
    z.object({ id: z.string(), host: z.string(), memoryMiB: z.number(), serialLog: z.string() }),
  ),
  commands: z.object({
    controllerExec: Argv,
    sshProxy: Argv,
    reboot: Argv,
    bootId: Argv,
    runningKernel: Argv,
    restartDaemon: Argv,
    labReboot: Argv,
    labKill: Argv,
  }),
  daemons: z.array(z.string()),
  schedulingDir: z.string(),
  advisoriesDir: z.string(),
  packages: z.object({
    qemu: z.object({
      source: z.string(),
      old: z.string(),
      new: z.string(),
      dataNew: z.string(),
      binaries: z.array(z.string()),
    }),
    labKernel: z.object({ name: z.string(), source: z.string(), old: z.string(), new: z.string() }),
  }),
});
export type LabState = z.infer<typeof LabState>;

const HOW_TO =
  'bring it up with `npm run lab:up` (as root; lab/up), or run everything with `npm run test:lab`';

/** The lab's state, after checking that every host's supervisor still runs and the host is ready. */
export function requireLab(): LabState {
  if (!existsSync(LAB_STATE_FILE)) throw new Error(`the lab is not up (no ${LAB_STATE_FILE}): ${HOW_TO}`);
  const lab = LabState.parse(JSON.parse(readFileSync(LAB_STATE_FILE, 'utf8')));
  for (const host of lab.hosts) {
    if (!alive(host.supervisorPidFile)) throw new Error(`lab host ${host.id} is not running: ${HOW_TO}`);
  }
  return lab;
}

function alive(pidFile: string): boolean {
  if (!existsSync(pidFile)) return false;
  const [pid] = readFileSync(pidFile, 'utf8').trim().split(/\s+/);
  return pid !== undefined && existsSync(`/proc/${pid}`);
}

export function labHost(lab: LabState, id: string) {
  const host = lab.hosts.find((h) => h.id === id);
  if (!host) throw new Error(`the lab has no host ${id}`);
  return host;
}

export function serialLogOf(lab: LabState, guest: string): string {
  const found = lab.guests.find((g) => g.id === guest);
  if (!found) throw new Error(`the lab has no guest ${guest}`);
  return found.serialLog;
}
