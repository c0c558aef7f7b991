/**
 * The pre-copy live-migration model shared by the simulator and the planner.
 *
 * Round 0 sends all of memory; each later round sends what the guest dirtied during the
 * previous one. Once what is left can be sent within the downtime limit, the guest is
 * paused and the rest is copied (the downtime, with a fixed switch-over cost on top, which
 * QEMU's own decision to switch over leaves out as well). A guest that dirties memory as fast as the
 * link sends it never gets there; auto-converge then throttles its vCPUs as QEMU does.
 *
 * `precopyEstimate` computes the outcome in closed form (geometric series), so the
 * event-by-event simulation can be checked against it and the planner can predict
 * durations without simulating.
 */

/** Link speed in Gbit/s to MiB/s. */
export function gbpsToMiBps(gbps: number): number {
  return (gbps * 1e9) / 8 / 2 ** 20;
}

/**
 * Each migration gets an equal share of the slower NIC for the most migrations a host may
 * run at once, so concurrent migrations never overrun a link.
 */
export function migrationBandwidthMiBps(
  sourceGbps: number,
  targetGbps: number,
  migrationsPerHost: number,
): number {
  return gbpsToMiBps(Math.min(sourceGbps, targetGbps)) / migrationsPerHost;
}

/** QEMU's defaults: cpu-throttle-initial 20, cpu-throttle-increment 10, max-cpu-throttle 99. */
export const AUTO_CONVERGE = { initialPercent: 20, incrementPercent: 10, maxPercent: 99 } as const;

/** Throttle during the `throttledRound`-th round (0-based) after auto-converge kicked in. */
export function throttlePercent(throttledRound: number): number {
  return Math.min(
    AUTO_CONVERGE.maxPercent,
    AUTO_CONVERGE.initialPercent + AUTO_CONVERGE.incrementPercent * throttledRound,
  );
}

/** Less than one 4 KiB page left is nothing left: a zero downtime limit must still be able to end. */
const PAGE_MiB = 4 / 1024;
/**
 * Relative slack on the switch-over test: the closed form and the round-by-round sum reach
 * the same numbers along different float paths, and must not disagree on an exact tie.
 */
const SLACK = 1e-9;

/** Whether `remainingMiB` can be sent within the downtime limit, so the guest may be paused now. */
export function canSwitchOver(
  remainingMiB: number,
  bandwidthMiBps: number,
  downtimeLimitMs: number,
): boolean {
  return remainingMiB <= switchOverThresholdMiB(bandwidthMiBps, downtimeLimitMs);
}

function switchOverThresholdMiB(bandwidthMiBps: number, downtimeLimitMs: number): number {
  return Math.max((bandwidthMiBps * downtimeLimitMs) / 1000, PAGE_MiB) * (1 + SLACK);
}

/** Dirty memory produced while `dataMiB` is sent, given the throttle in force. */
export function dirtiedMiB(
  memoryMiB: number,
  dirtyRateMiBps: number,
  throttle: number,
  dataMiB: number,
  bandwidthMiBps: number,
): number {
  return Math.min(memoryMiB, (((dirtyRateMiBps * (100 - throttle)) / 100) * dataMiB) / bandwidthMiBps);
}

export interface PrecopyInput {
  memoryMiB: number;
  dirtyRateMiBps: number;
  bandwidthMiBps: number;
  downtimeLimitMs: number;
  /** Rounds before the migration counts as not converging. */
  maxIterations: number;
  autoConverge: boolean;
  /** The platform aborts the migration this long after it started; no limit when absent. */
  timeoutMs?: number;
  /** Fixed cost of the pause besides the memory left to copy (device state, stop and resume); 0 when absent. */
  switchoverMs?: number;
}

export interface PrecopyEstimate {
  outcome: 'completed' | 'failed' | 'timed-out';
  /** From the start of round 0 until the switch-over ends, the failure, or the timeout. */
  durationMs: number;
  /** The pause at the switch-over; 0 unless completed. */
  downtimeMs: number;
  /** Pre-copy rounds needed to converge or to give up, ignoring the timeout (Infinity: never). */
  rounds: number;
  /** Throttle in force in the last round. */
  throttlePercent: number;
}

interface Phase {
  rounds: number;
  sentMiB: number;
  /** Dirty memory left after the phase's last round. */
  remainingMiB: number;
  converged: boolean;
}

export function precopyEstimate(input: PrecopyInput): PrecopyEstimate {
  const { memoryMiB: M, dirtyRateMiBps: D, bandwidthMiBps: B, maxIterations: N } = input;
  const threshold = switchOverThresholdMiB(B, input.downtimeLimitMs);

  let phase = constantRatioPhase(M, D / B, M, threshold, N);
  let rounds = phase.rounds;
  let sentMiB = phase.sentMiB;
  let throttle = 0;

  if (!phase.converged && input.autoConverge) {
    // The throttle steps up each round until it reaches its maximum; then the ratio is constant again.
    let data = phase.remainingMiB;
    let converged = false;
    for (let j = 0; !converged && throttlePercent(j) < AUTO_CONVERGE.maxPercent; j++) {
      throttle = throttlePercent(j);
      const remaining = dirtiedMiB(M, D, throttle, data, B);
      sentMiB += data;
      rounds++;
      converged = remaining <= threshold;
      data = remaining;
    }
    if (converged) {
      phase = { rounds: 0, sentMiB: 0, remainingMiB: data, converged };
    } else {
      throttle = AUTO_CONVERGE.maxPercent;
      phase = constantRatioPhase(data, (D * (100 - throttle)) / 100 / B, M, threshold, Infinity);
      rounds += phase.rounds;
      sentMiB += phase.sentMiB;
    }
  }

  const precopyMs = (sentMiB / B) * 1000;
  const { timeoutMs } = input;
  if (timeoutMs !== undefined && precopyMs >= timeoutMs) {
    return { outcome: 'timed-out', durationMs: timeoutMs, downtimeMs: 0, rounds, throttlePercent: throttle };
  }
  if (!phase.converged) {
    return { outcome: 'failed', durationMs: precopyMs, downtimeMs: 0, rounds, throttlePercent: throttle };
  }
  const downtimeMs = (phase.remainingMiB / B) * 1000 + (input.switchoverMs ?? 0);
  return {
    outcome: 'completed',
    durationMs: precopyMs + downtimeMs,
    downtimeMs,
    rounds,
    throttlePercent: throttle,
  };
}

/**
 * At most `limit` rounds at a constant dirty-to-bandwidth `ratio`, the first sending
 * `firstMiB`. Below 1 the amounts form a geometric series; at 1 or more nothing shrinks.
 */
function constantRatioPhase(
  firstMiB: number,
  ratio: number,
  memoryMiB: number,
  threshold: number,
  limit: number,
): Phase {
  const ok = (remaining: number) => remaining <= threshold;
  if (ratio === 0) return { rounds: 1, sentMiB: firstMiB, remainingMiB: 0, converged: true };
  if (ratio >= 1) {
    const afterFirst = Math.min(memoryMiB, ratio * firstMiB);
    if (ok(afterFirst)) return { rounds: 1, sentMiB: firstMiB, remainingMiB: afterFirst, converged: true };
    if (limit === Infinity) {
      return { rounds: Infinity, sentMiB: Infinity, remainingMiB: afterFirst, converged: false };
    }
    // A finite limit comes only with the first phase, where every round sends all of memory.
    return { rounds: limit, sentMiB: limit * firstMiB, remainingMiB: afterFirst, converged: false };
  }
  const after = (round: number) => firstMiB * ratio ** (round + 1);
  const sentBy = (rounds: number) => (firstMiB * (1 - ratio ** rounds)) / (1 - ratio);
  // Round i converges when firstMiB·ratio^(i+1) ≤ threshold; the logarithm gives i up to float error, fixed up below.
  const guess = Math.ceil(Math.log(threshold / firstMiB) / Math.log(ratio)) - 1;
  let i = Math.max(0, Math.min(guess, limit));
  while (i > 0 && ok(after(i - 1))) i--;
  while (i < limit && !ok(after(i))) i++;
  if (i >= limit) {
    return { rounds: limit, sentMiB: sentBy(limit), remainingMiB: after(limit - 1), converged: false };
  }
  return { rounds: i + 1, sentMiB: sentBy(i + 1), remainingMiB: after(i), converged: true };
}
