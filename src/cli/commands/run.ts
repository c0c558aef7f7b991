import { hostname, userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { BadInput, Conflict } from '../../core/errors.js';
import { workFromNeeds } from '../../core/plan/index.js';
import { PLANNER_NAME } from '../../core/planner/index.js';
import { startCampaign } from '../../engine/index.js';
import { openStore, type Store } from '../../store/index.js';
import { claimDataDir, dataDir, type DataDir } from '../campaign/data-dir.js';
import { FAULT_PRESETS } from '../campaign/faults.js';
import { makePlan, PLANNERS } from '../campaign/make-plan.js';
import { readOwners } from '../campaign/owners-file.js';
import type { GuestPatchHook } from '../../core/model/index.js';
import type { GuestPatcher } from '../../core/ports.js';
import { commandGuestPatcher } from '../../drivers/hooks/guest-patch-command.js';
import type { SimEnvironment } from '../../drivers/sim/index.js';
import { discardUnusedWorld, openKeptWorld, readWorldSetup } from '../../drivers/sim/kept-world.js';
import { renderRunSummary } from '../campaign/run-summary.js';
import { runOnSimulator } from '../campaign/simulated-run.js';
import { addNeedsInputOptions, loadHostNeeds, type NeedsFlags } from '../needs/inputs.js';
import { EXIT, printJson, printProblems } from '../output.js';
import { wholeNumber } from '../numbers.js';

interface RunFlags extends NeedsFlags {
  owners?: string;
  dataDir: string;
  speed?: string;
  planner: string;
  seed: string;
  faults: keyof typeof FAULT_PRESETS;
  databaseUrl?: string;
  worker?: string;
  progress: 'lines' | 'none';
  json?: boolean;
}

export function registerRunCommand(program: Command): void {
  addNeedsInputOptions(
    program
      .command('run')
      .description('plan a campaign and run it to the end on the simulator; run again to resume'),
    'policy: windows, freezes, concurrency, stages, deadlines (defaults when absent)',
  )
    .requiredOption(
      '--data-dir <dir>',
      'where the campaign, its audit trail and the simulated world are kept',
    )
    .option(
      '--owners <file>',
      "the owners' webhook endpoints (YAML or JSON: owner name -> {url, secret}): owners are told, and hosts wait for the notice periods and consents their services ask for",
    )
    .option('--speed <n>', 'virtual time runs N times faster than real time (default: as fast as it can)')
    .addOption(new Option('--planner <name>', 'which planner').choices(PLANNERS).default(PLANNER_NAME))
    .option('--seed <n>', 'seed of the simulated world and its faults', '1')
    .addOption(
      new Option('--faults <preset>', 'faults injected into the simulated world')
        .choices(Object.keys(FAULT_PRESETS))
        .default('none'),
    )
    .option(
      '--database-url <url>',
      'a PostgreSQL server for the campaign instead of the embedded store in --data-dir',
    )
    .option('--worker <name>', "this worker's name in leases and the audit trail (default: host:pid)")
    .addOption(
      new Option('--progress <style>', 'progress on standard error')
        .choices(['lines', 'none'])
        .default('lines'),
    )
    .option('--json', 'print the outcome as JSON on standard output')
    .addHelpText(
      'after',
      `
The first run computes every host's needs, plans the campaign (checked by the independent
checker; a plan it rejects is not run), creates the campaign in the store and runs it through
the durable engine against the simulated fleet. The data directory keeps the campaign and
the simulated world: kill the run at any point (even kill -9) and run the same command again
to resume where it stopped. While it runs, from another terminal:
  hvpatch status --data-dir DIR          hvpatch pause|resume|abort --data-dir DIR
  hvpatch events --data-dir DIR --json
Ctrl-C stops taking new hosts and finishes those in flight; a second Ctrl-C stops at once.

With --owners, the owners of the services the campaign disrupts get signed webhooks (see
src/engine/owners/README.md): an advance notice when the service's notice period opens, then
progress. The hosts carrying a service's guests wait until its notice has been delivered and
its notice period has run out, or, for services in the policy's approvals.ownerConsent, until
the owner consents; a notice that cannot be delivered keeps them deferred. Without --owners
nobody is told: notice periods hold no host (the run says which services ask for one), and
consent is given through the control socket (POST /answer) or the API.

Exit status: 0 the campaign completed; 1 it halted, was aborted, or is stuck on hosts
that need a person (see hvpatch status); 2 bad input.

Examples:
  hvpatch run --fleet fleet.yaml --advisories data/advisories --data-dir ./campaign
  hvpatch run --fleet fleet.yaml --advisories osv/ --policy policy.yaml --data-dir c1 --speed 600 --faults light
  hvpatch run --fleet fleet.yaml --advisories osv/ --owners owners.yaml --data-dir c2`,
    )
    .action(async (flags: RunFlags) => {
      const speed = flags.speed === undefined ? undefined : positiveNumber(program, '--speed', flags.speed);
      const seed = wholeNumber(program, '--seed', flags.seed, 0, 2 ** 32 - 1);
      const loaded = await loadHostNeeds(flags);
      if (!loaded) return;
      const owners = flags.owners === undefined ? undefined : await readOwners(flags.owners);
      if (owners === null) return;
      const dir = dataDir(flags.dataDir);
      const worker = flags.worker ?? `${hostname()}:${process.pid}`;
      const release = claimDataDir(dir, {
        pid: process.pid,
        worker,
        startedAt: new Date().toISOString(),
        command: 'run',
      });
      let store: Store | undefined;
      try {
        store = await openStore(flags.databaseUrl ? { url: flags.databaseUrl } : { dataDir: dir.store });
        const actor = `${userInfo().username}@${hostname()}`;
        const begun = await beginOrResume(store, dir, flags, loaded, { seed, speed }, actor);
        if (!begun) return;
        const { campaign, env, resumed } = begun;
        const { fleet } = loaded.inputs;
        process.stderr.write(
          `${resumed ? 'Resuming' : 'Running'} campaign ${campaign} on ${fleet.hosts.length} simulated hosts (data in ${dir.root})\n`,
        );
        const summary = await runOnSimulator({
          store,
          campaign,
          dir,
          env,
          fleet,
          worker,
          progress: flags.progress,
          ownerConsent: loaded.inputs.policy?.approvals.ownerConsent ?? [],
          ...(owners !== undefined && { owners }),
          ...guestPatching(loaded.inputs.policy?.guestPatchHook),
        });
        if (flags.json) printJson(summary);
        else process.stdout.write(renderRunSummary(summary));
        process.exitCode = summary.state === 'completed' ? EXIT.ok : EXIT.failed;
      } finally {
        await store?.close();
        release();
      }
    });
}

interface Begun {
  campaign: string;
  /** The simulated world kept in the data directory, where the campaign left it. */
  env: SimEnvironment;
  resumed: boolean;
}

interface WorldFlags {
  seed: number;
  speed: number | undefined;
}

/**
 * The data directory's unfinished campaign with its world, or a new one planned from the inputs
 * on a new world. The world is kept before the campaign is made: a campaign is never left in the
 * store without the world it acts on.
 */
async function beginOrResume(
  store: Store,
  dir: DataDir,
  flags: RunFlags,
  loaded: NonNullable<Awaited<ReturnType<typeof loadHostNeeds>>>,
  world: WorldFlags,
  actor: string,
): Promise<Begun | undefined> {
  const { fleet, policy, advisories } = loaded.inputs;
  const faults = FAULT_PRESETS[flags.faults]!;
  const speed = world.speed === undefined ? {} : { speed: world.speed };
  const saved = readWorldSetup(dir.world);
  const last = (await store.campaigns()).at(-1);
  if (saved && last) {
    // Both as JSON: the saved fleet went through it, and optional fields left out must compare equal.
    if (JSON.stringify(saved.fleet) !== JSON.stringify(fleet))
      throw new BadInput([
        {
          file: flags.fleet,
          path: '--fleet',
          message: `is not the fleet of campaign ${last.id} in ${dir.root}: use a new --data-dir for another fleet`,
        },
      ]);
    if (last.state === 'completed' || last.state === 'aborted')
      throw new Conflict(
        `campaign ${last.id} in ${dir.root} is ${last.state}: use a new --data-dir to start another`,
      );
    const actions = await store.actions(last.id);
    const kept = openKeptWorld(
      dir.world,
      // The clock goes on from where the kept world's started: the journal's times count from it.
      { fleet, seed: world.seed, faults, startTime: saved.startTime },
      { ...speed, nothingDoneYet: actions.every((a) => a.attempts === 0) },
    );
    return { campaign: last.id, env: kept.env, resumed: true };
  }
  const startsAt = new Date();
  const { plan, violations } = makePlan({
    fleet,
    ...(policy && { policy }),
    work: workFromNeeds(fleet, loaded.hosts, advisories),
    startsAt,
    // With owners to tell, the engine holds hosts for their notice periods from now on.
    ...(flags.owners !== undefined && { noticesFrom: startsAt }),
    planner: flags.planner,
  });
  if (violations.length > 0) {
    printProblems(
      violations.map((v) => ({ message: `plan rejected by the checker: ${v.constraint}: ${v.message}` })),
    );
    process.stderr.write(
      `hvpatch: the ${flags.planner} plan breaks ${violations.length} constraints; nothing was run\n`,
    );
    process.exitCode = EXIT.failed;
    return undefined;
  }
  // A world kept without a campaign: a run stopped before it made one left it, unused (or it is refused).
  if (saved) discardUnusedWorld(dir.world);
  // The simulated clock starts when the plan does, so windows and deadlines mean what they say.
  const startTime = Date.parse(plan.startsAt);
  const kept = openKeptWorld(dir.world, { fleet, seed: world.seed, faults, startTime }, speed);
  const campaign = await startCampaign(store, plan, { actor, now: startTime });
  return { campaign, env: kept.env, resumed: false };
}

/** The policy's guest patch hook as a local command, for the plan's start-guest actions that ask for it. */
function guestPatching(hook: GuestPatchHook | undefined): { guestPatcher?: GuestPatcher } {
  return hook === undefined ? {} : { guestPatcher: commandGuestPatcher(hook) };
}

function positiveNumber(program: Command, flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    program.error(`error: ${flag} must be a positive number, not '${text}'`, { exitCode: EXIT.badInput });
  return value;
}
