import type { HostStrategy, PlanLimits } from '../plan/index.js';
import { instant } from './explain.js';
import type { FleetIndex } from './fleet-index.js';
import type { Schedule } from './schedule.js';
import type { Decision } from './strategy.js';
import type { Gate, HostTask } from './tasks.js';

/**
 * The final word on each host: its strategy as decided, unless the schedule could not
 * carry it out (then its activation is deferred, with the reason), and for a host that
 * ends after its deadline, the limit, window or stage that held it back.
 */
export function outcomes(
  decisions: readonly Decision[],
  tasks: readonly HostTask[],
  schedule: Schedule,
  fleet: FleetIndex,
  gates: readonly Gate[],
  startsAt: string,
  limits: PlanLimits,
): { strategies: HostStrategy[]; deferred: { host: string; reason: string }[] } {
  const strategies: HostStrategy[] = [];
  const deferred: { host: string; reason: string }[] = [];
  decisions.forEach((decision, i) => {
    const task = tasks[i]!;
    const h = task.host;
    const { host } = decision;
    if (decision.deferredBecause !== undefined) {
      strategies.push({ host, strategy: decision.strategy, explanation: decision.explanation });
      deferred.push({ host, reason: sentence(decision.deferredBecause) });
      return;
    }
    const heldBack = schedule.deferred.get(h);
    if (heldBack !== undefined && Number.isNaN(schedule.start[h]!)) {
      strategies.push({
        host,
        strategy: 'defer-activation',
        explanation: `Install now and defer activation (planned: ${decision.strategy}): ${heldBack}.`,
      });
      deferred.push({ host, reason: sentence(heldBack) });
      return;
    }
    let explanation = decision.explanation;
    const note = schedule.notes.get(h);
    if (note !== undefined) explanation += ` ${sentence(note)}`;
    if (heldBack !== undefined) {
      explanation += ` ${sentence(heldBack)}`;
      deferred.push({ host, reason: sentence(heldBack) });
    }
    const end = schedule.end[h]!;
    if (end > task.dueMs)
      explanation += ` Late: it ends at ${instant(startsAt, end / 1000)}, after its deadline ${instant(startsAt, task.dueMs / 1000)}, because ${heldBy(task, schedule, fleet, gates, startsAt, limits)}.`;
    strategies.push({ host, strategy: decision.strategy, explanation });
  });
  return { strategies, deferred };
}

function heldBy(
  task: HostTask,
  schedule: Schedule,
  fleet: FleetIndex,
  gates: readonly Gate[],
  startsAt: string,
  limits: PlanLimits,
): string {
  const h = task.host;
  const gate = gates[task.gate]!;
  const opened = schedule.gateOpened[task.gate]!;
  if (schedule.start[h] === opened && task.gate > 0)
    return `its stage ${gate.stage} could start only at ${instant(startsAt, opened / 1000)}, after the stages before it and their soak`;
  const held = schedule.held[h];
  if (held !== undefined) return held;
  const cluster = fleet.clusterIds[fleet.cluster[h]!];
  return `cluster ${cluster} allows ${limits.maxHostsOut.cluster} host(s) out of service at once and hosts ahead of it in the queue took those places`;
}

/** A clause as a sentence of its own. */
function sentence(clause: string): string {
  const text = clause.charAt(0).toUpperCase() + clause.slice(1);
  return text.endsWith('.') ? text : `${text}.`;
}
