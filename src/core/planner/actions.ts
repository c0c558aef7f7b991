import type { PlanAction } from '../plan/index.js';
import type { FleetIndex } from './fleet-index.js';
import type { Gate, HostTask, Step } from './tasks.js';

/**
 * The schedule's steps as plan actions: ids instead of positions, seconds instead of
 * milliseconds, each tagged with its host's stage and wave; sorted by start so that the
 * file reads as a timeline.
 */
export function toActions(
  steps: readonly Step[],
  fleet: FleetIndex,
  taskOf: readonly (HostTask | undefined)[],
  gates: readonly Gate[],
  wave: Int32Array,
): PlanAction[] {
  const order = steps.map((_, i) => i).sort((a, b) => steps[a]!.start - steps[b]!.start || a - b);
  return order.map((i) => {
    const step = steps[i]!;
    const task = taskOf[step.host];
    const gate = task ? gates[task.gate] : undefined;
    const action: PlanAction = {
      kind: step.kind,
      host: fleet.hosts[step.host]!.id,
      startS: step.start / 1000,
      endS: step.end / 1000,
    };
    if (step.guest >= 0) action.guest = fleet.guests[step.guest]!.id;
    if (step.to >= 0) action.to = fleet.hosts[step.to]!.id;
    if (step.kind === 'install' && task) action.packages = task.packages;
    if (step.daemon !== undefined) action.daemon = step.daemon;
    if (gate) action.stage = gate.stage;
    const hostWave = gate?.wave ?? wave[step.host]!;
    if (hostWave >= 0) action.wave = hostWave;
    if (step.reason !== undefined) action.reason = step.reason;
    return action;
  });
}
