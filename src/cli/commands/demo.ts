import { Option, type Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { generateFleet, newestKnownUpdates } from '../../core/generate/index.js';
import type { FaultPlan } from '../../core/sim/index.js';
import { createSimEnvironment } from '../../drivers/sim/index.js';
import { runRollingCampaign } from '../../engine/rolling.js';
import { summariseImpact, type DemoImpact } from '../demo/impact.js';
import { createProgressDisplay } from '../demo/progress.js';
import { EXIT, printJson } from '../output.js';

/** Fault rates for the demo: enough that a run shows retries and a failed host, as real campaigns do. */
const FAULT_PRESETS: Record<string, FaultPlan> = {
  none: {},
  light: {
    probabilities: {
      migrationFails: 0.01,
      migrationHangs: 0.002,
      rebootDegraded: 0.02,
      rebootNoReturn: 0.01,
    },
  },
  heavy: {
    probabilities: {
      migrationFails: 0.05,
      migrationHangs: 0.01,
      rebootDegraded: 0.05,
      rebootNoReturn: 0.03,
      apiTimeout: 0.01,
    },
  },
};

interface DemoOptions {
  hosts: string;
  seed: string;
  guestsPerHost: string;
  faults: keyof typeof FAULT_PRESETS;
  progress: 'auto' | 'bar' | 'lines' | 'none';
  json?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'generate a fleet and patch it host by host on the simulator, with live progress, then print the impact',
    )
    .option('--hosts <n>', 'hosts in the generated fleet', '40')
    .option('--seed <n>', 'seed for the fleet and the faults (same seed, same run)', '1')
    .option('--guests-per-host <n>', 'average guests per host', '20')
    .addOption(
      new Option('--faults <preset>', 'injected faults').choices(Object.keys(FAULT_PRESETS)).default('light'),
    )
    .addOption(
      new Option('--progress <style>', 'progress display')
        .choices(['auto', 'bar', 'lines', 'none'])
        .default('auto'),
    )
    .option('--json', 'print the impact as JSON on standard output (progress still goes to standard error)')
    .addHelpText(
      'after',
      `
The campaign is the simple one-host-at-a-time rolling kind: disable the host, live-migrate
its guests to the enabled compatible host with the most room (never breaking anti-affinity),
install the newest known packages, reboot, check health, enable. A guest that cannot be
live-migrated holds its host back unless its owners consented to an in-place reboot. A host
that fails after it was taken out stays disabled and is reported. Time is simulated.

Examples:
  hvpatch demo
  hvpatch demo --hosts 200 --seed 7 --faults heavy
  hvpatch demo --json --progress none | jq .guests`,
    )
    .action(async (options: DemoOptions) => {
      const hosts = wholeNumber(program, '--hosts', options.hosts, 1, 5000);
      const seed = wholeNumber(program, '--seed', options.seed, 0, 2 ** 32 - 1);
      const guestsPerHost = wholeNumber(program, '--guests-per-host', options.guestsPerHost, 1, 100);
      const wallStart = performance.now();
      const fleet = generateFleet({ hosts, seed, guestsPerHost });
      const env = createSimEnvironment(fleet, { seed, faults: FAULT_PRESETS[options.faults] });
      const mode = options.progress === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : options.progress;
      const display = createProgressDisplay(process.stderr, mode);
      const started = env.clock.now();
      process.stderr.write(
        `Patching ${fleet.hosts.length} hosts carrying ${fleet.guests.length} guests (seed ${seed}, faults: ${options.faults}), one host at a time\n`,
      );
      let outcome;
      try {
        outcome = await runRollingCampaign({
          fleet,
          platform: env.platform,
          agent: env.hostAgent,
          clock: env.clock,
          updatesFor: newestKnownUpdates,
          onEvent: (event) => display.onEvent(event, env.clock.now() - started),
        });
      } finally {
        display.stop();
      }
      const impact = summariseImpact(outcome, env.sim.disruptions, fleet.hosts.length);
      const wallMs = performance.now() - wallStart;
      if (options.json) printJson({ ...impact, wallMs: Math.round(wallMs) });
      else process.stdout.write(renderImpact(impact, wallMs));
      process.exitCode = EXIT.ok;
    });
}

function wholeNumber(program: Command, flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    program.error(`error: ${flag} must be a whole number from ${min} to ${max}, not '${text}'`, {
      exitCode: EXIT.badInput,
    });
  }
  return value;
}

function renderImpact(impact: DemoImpact, wallMs: number): string {
  const { hosts, migrations, guests } = impact;
  const lines = [
    '',
    `Campaign finished after ${formatDuration(impact.elapsedMs)} of simulated time (${(wallMs / 1000).toFixed(1)} s of wall time)`,
    `  hosts patched      ${hosts.patched} of ${hosts.total}` +
      ` (${hosts.deferred} deferred, ${hosts.failed} failed and left disabled, ${hosts.skipped} with nothing to install)`,
    `  live migrations    ${migrations.completed} completed, ${migrations.failed} failed and retried elsewhere`,
    `  guest downtime     ${(guests.downtimeMs / 1000).toFixed(1)} s in total; longest migration pause ${guests.longestMigrationPauseMs.toFixed(0)} ms`,
    `  guests disrupted   ${guests.rebootedWithHost} rebooted with a host, ${guests.stoppedInPlace} stopped in place with consent, ${guests.networkBlips} network blips`,
  ];
  for (const { host, reason } of impact.deferred) lines.push(`  deferred ${host}: ${reason}`);
  for (const { host, reason } of impact.failed)
    lines.push(`  FAILED   ${host}: ${reason} (left disabled for an operator)`);
  return `${lines.join('\n')}\n`;
}
