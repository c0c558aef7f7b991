/**
 * Watches a lab guest's serial log from outside: each `HB <n> boot=<id> up=<s>` line is
 * stamped with the moment it appeared. The guest's own clock stops while QEMU is paused, so
 * the gap a guest "felt" across a migration is measured here, on the machine's clock.
 */
import { open } from 'node:fs/promises';

export interface Beat {
  n: number;
  boot: string;
  /** performance.now() when the line was read: monotonic, for gaps. */
  seenAt: number;
  /** The same moment in epoch ms, to line beats up with the platform's migration times. */
  at: number;
}

export interface HeartbeatReport {
  beats: number;
  /** Every beat followed the previous one by exactly one. */
  continuous: boolean;
  boots: string[];
  /** The longest time between two beats appearing, in ms (includes the ~100 ms cadence and ~10 ms polling). */
  maxGapMs: number;
}

export function watchHeartbeats(file: string, pollMs = 10) {
  const beats: Beat[] = [];
  let stopped = false;
  let partial = '';
  const done = (async () => {
    const handle = await open(file, 'r');
    try {
      let offset = (await handle.stat()).size;
      const buffer = Buffer.alloc(64 * 1024);
      while (!stopped) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        if (bytesRead > 0) {
          offset += bytesRead;
          const seenAt = performance.now();
          const lines = (partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            const match = /^HB (\d+) boot=(\S+) up=/.exec(line.trim());
            if (match)
              beats.push({
                n: Number(match[1]),
                boot: match[2]!,
                seenAt,
                at: performance.timeOrigin + seenAt,
              });
          }
        } else {
          await new Promise((resolve) => setTimeout(resolve, pollMs));
        }
      }
    } finally {
      await handle.close();
    }
  })();
  return {
    beats,
    async stop(): Promise<HeartbeatReport> {
      stopped = true;
      await done;
      return report(beats);
    },
  };
}

export function report(beats: readonly Beat[]): HeartbeatReport {
  let continuous = true;
  let maxGapMs = 0;
  for (let i = 1; i < beats.length; i++) {
    if (beats[i]!.n !== beats[i - 1]!.n + 1) continuous = false;
    maxGapMs = Math.max(maxGapMs, beats[i]!.seenAt - beats[i - 1]!.seenAt);
  }
  return {
    beats: beats.length,
    continuous,
    boots: [...new Set(beats.map((b) => b.boot))],
    maxGapMs: Math.round(maxGapMs),
  };
}
