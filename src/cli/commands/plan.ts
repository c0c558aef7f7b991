import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { computeComponentNeeds } from '../../core/needs/index.js';
import { componentWorkFromNeeds, workFromNeeds, type Plan } from '../../core/plan/index.js';
import { PLANNER_NAME } from '../../core/planner/index.js';
import { makePlan, PLANNERS } from '../campaign/make-plan.js';
import { addNeedsInputOptions, loadHostNeeds, type NeedsFlags } from '../needs/inputs.js';
import { EXIT, printJson } from '../output.js';

interface PlanFlags extends NeedsFlags {
  planner: string;
  out?: string;
  start?: string;
  noticesFrom?: string;
  json?: boolean;
}

export function registerPlanCommand(program: Command): void {
  addNeedsInputOptions(
    program
      .command('plan')
      .description('plan the campaign that makes every needed fix take effect with the least disruption'),
    'policy: windows, freezes, concurrency, stages, deadlines (defaults when absent)',
  )
    .addOption(new Option('--planner <name>', 'which planner').choices(PLANNERS).default(PLANNER_NAME))
    .option('--out <file>', 'write the plan (plan.json) to this file')
    .option('--start <instant>', 'ISO 8601 instant the campaign starts at (default: now)')
    .option(
      '--notices-from <instant>',
      "ISO 8601 instant the services' owners are told from: hosts wait for what is left of their notice periods then (default: now)",
    )
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
The plan chooses per host the cheapest way to make its fixes take effect (live patch,
daemon restarts, evacuate by live migration then reboot, in-place reboot with the owners'
consent, or defer), and orders hosts in stages and waves so that every guest that must move
moves once, onto a host that needs nothing disruptive any more, under every limit. Every
plan is replayed by an independent checker before it is written; the summary gives the
lower bounds it is measured against. Supporting components (DNS, directory servers,
storage arrays, switches) that need a fix or have firmware staged are planned too: in
their patch order, one member of a redundancy group at a time, and before or after the
clusters they name. A host whose guests belong to a service with a notice period waits
until that period has run from --notices-from (now by default: owners can be told once
the plan exists). hvpatch's engine patches the hosts; the components' timeline is for
their own tools (\`componentActions\` in the plan file). Baselines (cau, nova-evacuate, ansible-serial) plan
the same work the way those tools do, for comparison.

Examples:
  hvpatch plan --fleet fleet.yaml --advisories data/advisories/osv --policy policy.yaml --out plan.json
  hvpatch plan --fleet fleet.yaml --advisories osv/ --planner cau --json`,
    )
    .action(async (flags: PlanFlags) => {
      const startsAt = flags.start === undefined ? new Date() : new Date(flags.start);
      if (Number.isNaN(startsAt.getTime())) {
        program.error(`error: --start must be an ISO 8601 instant, not '${flags.start}'`, {
          exitCode: EXIT.badInput,
        });
      }
      const noticesFrom = flags.noticesFrom === undefined ? new Date() : new Date(flags.noticesFrom);
      if (Number.isNaN(noticesFrom.getTime())) {
        program.error(`error: --notices-from must be an ISO 8601 instant, not '${flags.noticesFrom}'`, {
          exitCode: EXIT.badInput,
        });
      }
      const loaded = await loadHostNeeds(flags);
      if (!loaded) return;
      const { inputs, hosts } = loaded;
      const { plan, violations } = makePlan({
        fleet: inputs.fleet,
        ...(inputs.policy && { policy: inputs.policy }),
        work: workFromNeeds(inputs.fleet, hosts, inputs.advisories),
        componentWork: componentWorkFromNeeds(
          inputs.fleet,
          computeComponentNeeds(inputs.fleet.components, inputs.advisories),
          inputs.advisories,
        ),
        startsAt,
        noticesFrom,
        planner: flags.planner,
      });
      if (flags.out !== undefined) await writeFile(flags.out, `${JSON.stringify(plan, null, 2)}\n`);
      if (flags.json)
        printJson({
          planner: plan.planner,
          summary: plan.summary,
          deferred: plan.deferred,
          deferredComponents: plan.deferredComponents ?? [],
          violations,
        });
      else process.stdout.write(renderSummary(plan, violations.length, flags.out));
      process.exitCode = violations.length > 0 ? EXIT.failed : EXIT.ok;
    });
}

function renderSummary(plan: Plan, violations: number, out: string | undefined): string {
  const { summary } = plan;
  const strategies = new Map<string, number>();
  for (const { strategy } of plan.strategies) strategies.set(strategy, (strategies.get(strategy) ?? 0) + 1);
  const stages = new Map<string, number>();
  for (const action of plan.actions)
    if (action.kind === 'disable' && action.stage)
      stages.set(action.stage, (stages.get(action.stage) ?? 0) + 1);
  const ratio = (value: number, bound: number) =>
    bound > 0 ? `${(value / bound).toFixed(2)}× the lower bound` : 'bound 0';
  const lines = [
    `Plan by ${plan.planner} for ${plan.fleet.hosts.length} hosts and ${plan.fleet.guests.length} guests, starting ${plan.startsAt}`,
    `  strategies   ${[...strategies].map(([name, count]) => `${count} ${name}`).join(', ')}`,
    `  stages       ${[...stages].map(([name, count]) => `${name} (${count} hosts out)`).join(', ') || 'none'}`,
    `  makespan     ${formatDuration(summary.makespanS * 1000)} (${ratio(summary.makespanS, summary.lowerBound.makespanS)}, bound ${formatDuration(summary.lowerBound.makespanS * 1000)})`,
    `  migrations   ${summary.migrations} (${ratio(summary.migrations, summary.lowerBound.migrations)}, bound ${summary.lowerBound.migrations})`,
    `  downtime     ${summary.guestDowntimeS.toFixed(1)} s of guest downtime predicted in total`,
    `  checker      ${violations === 0 ? 'no violations' : `${violations} VIOLATIONS (the plan is not safe to run)`}`,
  ];
  lines.push(...componentLines(plan));
  for (const { host, reason } of plan.deferred.slice(0, 20)) lines.push(`  deferred     ${host}: ${reason}`);
  if (plan.deferred.length > 20)
    lines.push(`  deferred     … and ${plan.deferred.length - 20} more (see the plan file)`);
  if (out !== undefined) lines.push(`wrote ${out}`);
  return `${lines.join('\n')}\n`;
}

/** Each component's window in the plan, in start order, and why any is deferred. */
function componentLines(plan: Plan): string[] {
  const spans = new Map<string, { startS: number; endS: number }>();
  for (const action of plan.componentActions ?? []) {
    const span = spans.get(action.component);
    spans.set(action.component, {
      startS: Math.min(span?.startS ?? Infinity, action.startS),
      endS: Math.max(span?.endS ?? 0, action.endS),
    });
  }
  const at = (seconds: number) => formatDuration(seconds * 1000);
  const lines = [...spans]
    .sort((a, b) => a[1].startS - b[1].startS)
    .map(([component, span]) => `  component    ${component}: from ${at(span.startS)} to ${at(span.endS)}`);
  for (const { component, reason } of plan.deferredComponents ?? [])
    lines.push(`  component    ${component}: deferred, ${reason}`);
  return lines;
}
