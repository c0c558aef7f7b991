import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { generateFleet } from '../../core/generate/index.js';
import { computeNeeds } from '../../core/needs/index.js';
import { workFromNeeds } from '../../core/plan/index.js';
import { PLANNER_NAME } from '../../core/planner/index.js';
import { loadAdvisories } from '../../drivers/advisories/index.js';
import { generateTokens, startServer } from '../../api/index.js';
import { openKeptWorld } from '../../drivers/sim/kept-world.js';
import { startCampaign } from '../../engine/index.js';
import { openStore } from '../../store/index.js';
import { claimDataDir, dataDir } from '../campaign/data-dir.js';
import { FAULT_PRESETS } from '../campaign/faults.js';
import { makePlan } from '../campaign/make-plan.js';
import { renderRunSummary } from '../campaign/run-summary.js';
import { runOnSimulator } from '../campaign/simulated-run.js';
import { wholeNumber } from '../numbers.js';
import { EXIT, printJson } from '../output.js';

/** The real Ubuntu advisories shipped with hvpatch (CC BY-SA, see data/advisories/SOURCES.md). */
const BUNDLED_ADVISORIES = fileURLToPath(new URL('../../../data/advisories/osv', import.meta.url));

interface DemoOptions {
  hosts: string;
  seed: string;
  guestsPerHost: string;
  faults: keyof typeof FAULT_PRESETS;
  speed?: string;
  dataDir?: string;
  progress: 'lines' | 'none';
  json?: boolean;
  serve: boolean;
  port: string;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'generate a fleet, plan its patch campaign from real advisories and run it through the engine on the simulator',
    )
    .option('--hosts <n>', 'hosts in the generated fleet', '40')
    .option('--seed <n>', 'seed for the fleet and the faults (same seed, same run)', '1')
    .option('--guests-per-host <n>', 'average guests per host', '20')
    .addOption(
      new Option('--faults <preset>', 'injected faults').choices(Object.keys(FAULT_PRESETS)).default('light'),
    )
    .option('--speed <n>', 'virtual time runs N times faster than real time (default: as fast as it can)')
    .option('--data-dir <dir>', 'keep the campaign here (default: a new temporary directory)')
    .addOption(
      new Option('--progress <style>', 'progress on standard error')
        .choices(['lines', 'none'])
        .default('lines'),
    )
    .option('--json', 'print the outcome as JSON on standard output (progress still goes to standard error)')
    .option('--no-serve', 'do not start the dashboard and API (then the campaign runs as fast as it can)')
    .option('--port <n>', 'port of the dashboard and API on 127.0.0.1 (default: any free one)', '0')
    .addHelpText(
      'after',
      `
The demo is hvpatch end to end on a simulated fleet: it generates a realistic fleet, works
out each host's needs from the real Ubuntu advisories shipped in data/advisories, plans the
campaign (checked by the independent checker), and runs it through the durable engine with
the embedded database, injecting faults. The campaign is kept in the data directory: look
at it with 'hvpatch status' or 'hvpatch events', or resume an interrupted demo with
'hvpatch run' (the command to do so is printed).

Examples:
  hvpatch demo
  hvpatch demo --hosts 200 --seed 7 --faults heavy
  hvpatch demo --json --progress none | jq .guests`,
    )
    .action(async (options: DemoOptions) => {
      const hosts = wholeNumber(program, '--hosts', options.hosts, 1, 5000);
      const seed = wholeNumber(program, '--seed', options.seed, 0, 2 ** 32 - 1);
      const guestsPerHost = wholeNumber(program, '--guests-per-host', options.guestsPerHost, 1, 100);
      const port = wholeNumber(program, '--port', options.port, 0, 65535);
      // Watched in a browser, the campaign runs at ten simulated minutes a second; unwatched, as fast as it can.
      const speed = options.speed === undefined ? (options.serve ? 600 : undefined) : Number(options.speed);
      if (speed !== undefined && !(speed > 0))
        program.error(`error: --speed must be a positive number, not '${options.speed}'`, {
          exitCode: EXIT.badInput,
        });
      const wallStart = performance.now();

      const fleet = generateFleet({ hosts, seed, guestsPerHost });
      const { advisories } = await loadAdvisories([BUNDLED_ADVISORIES]);
      const startsAt = new Date();
      const needs = computeNeeds(fleet, advisories, { now: startsAt.getTime() });
      const { plan, violations } = makePlan({
        fleet,
        work: workFromNeeds(fleet, needs, advisories),
        startsAt,
        planner: PLANNER_NAME,
      });
      if (violations.length > 0) {
        process.stderr.write(
          `hvpatch: the plan breaks ${violations.length} constraints (${violations[0]!.message}); nothing was run\n`,
        );
        process.exitCode = EXIT.failed;
        return;
      }

      const dir = dataDir(options.dataDir ?? mkdtempSync(join(tmpdir(), 'hvpatch-demo-')));
      const worker = `${hostname()}:${process.pid}`;
      const release = claimDataDir(dir, {
        pid: process.pid,
        worker,
        startedAt: startsAt.toISOString(),
        command: 'run',
      });
      const store = await openStore({ dataDir: dir.store });
      try {
        const startTime = startsAt.getTime();
        // Kept before the campaign is made, as hvpatch run does, so that hvpatch run can resume it.
        const { env } = openKeptWorld(
          dir.world,
          { fleet, seed, faults: FAULT_PRESETS[options.faults]!, startTime },
          speed === undefined ? {} : { speed },
        );
        const campaign = await startCampaign(store, plan, { actor: 'demo', now: startTime });
        process.stderr.write(
          `Patching ${fleet.hosts.length} simulated hosts carrying ${fleet.guests.length} guests (seed ${seed}, faults: ${options.faults}): ` +
            `${plan.summary.migrations} live migrations planned, ${plan.deferred.length} hosts with work deferred (reasons in the plan)\n` +
            `Campaign ${campaign} kept in ${dir.root} (hvpatch status --data-dir ${dir.root})\n`,
        );
        let server: { url: string; close(): Promise<void> } | undefined;
        let summary;
        try {
          if (options.serve) {
            const tokens = generateTokens(fleet.services[0]?.id);
            server = await startServer({
              fleet,
              advisories,
              tokens: tokens.entries,
              store,
              world: env,
              port,
            });
            process.stderr.write(
              `Dashboard: ${server.url}#token=${tokens.secrets.approver} (API: ${server.url}openapi.json)\n`,
            );
          }
          summary = await runOnSimulator({
            store,
            campaign,
            dir,
            env,
            fleet,
            worker,
            progress: options.progress,
          });
        } finally {
          if (server && !process.stdout.isTTY) await server.close();
        }
        const wallMs = Math.round(performance.now() - wallStart);
        if (options.json) printJson({ ...summary, wallMs });
        else
          process.stdout.write(
            `${renderRunSummary(summary)}  (${(wallMs / 1000).toFixed(1)} s of wall time)\n`,
          );
        process.exitCode = EXIT.ok;
        if (server && process.stdout.isTTY) {
          process.stderr.write(`The dashboard stays up at ${server.url}; Ctrl-C to stop.\n`);
          await new Promise<void>((done) => process.once('SIGINT', () => done()));
          await server.close();
        }
      } finally {
        await store.close();
        release();
      }
    });
}
