import cliProgress from 'cli-progress';
import { formatDuration } from '../../core/duration.js';
import type { RollingEvent } from '../../engine/rolling.js';

/** Shows a campaign as it runs: a progress bar on a terminal, one plain line per host otherwise. */
export interface ProgressDisplay {
  onEvent(event: RollingEvent, elapsedMs: number): void;
  stop(): void;
}

export function createProgressDisplay(
  stream: NodeJS.WriteStream,
  mode: 'bar' | 'lines' | 'none',
): ProgressDisplay {
  if (mode === 'none') return { onEvent: () => {}, stop: () => {} };
  if (mode === 'lines') return linesDisplay(stream);
  return barDisplay(stream);
}

function linesDisplay(stream: NodeJS.WriteStream): ProgressDisplay {
  let migrations = 0;
  return {
    onEvent(event, elapsedMs) {
      const at = `t+${formatDuration(elapsedMs).padEnd(8)}`;
      switch (event.kind) {
        case 'migrated':
          migrations++;
          return;
        case 'host-done':
          stream.write(
            `${at} [${event.index + 1}/${event.total}] ${event.host} patched and back in service (${migrations} migrations so far)\n`,
          );
          return;
        case 'host-deferred':
          stream.write(`${at} ${event.host} deferred: ${event.reason}\n`);
          return;
        case 'host-failed':
          stream.write(`${at} ${event.host} FAILED and left disabled: ${event.reason}\n`);
          return;
        case 'migration-failed':
          stream.write(
            `${at} migration of ${event.guest} from ${event.host} to ${event.to} failed (${event.reason}); trying elsewhere\n`,
          );
          return;
        default:
          return;
      }
    },
    stop() {},
  };
}

function barDisplay(stream: NodeJS.WriteStream): ProgressDisplay {
  // A MultiBar with one bar, because only it can print lines above the bar as it runs.
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: 'hosts {bar} {value}/{total} | {host} {step} | migrations {migrations} | t+{elapsed}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  let migrations = 0;
  let finished = 0;
  return {
    onEvent(event, elapsedMs) {
      const elapsed = formatDuration(elapsedMs);
      if (event.kind === 'host-started' && !bar) {
        bar = multibar.create(event.total, 0, { host: event.host, step: 'evacuating', migrations, elapsed });
      }
      if (!bar) return;
      switch (event.kind) {
        case 'host-started':
          bar.update({ host: event.host, step: 'evacuating', elapsed });
          break;
        case 'migrated':
          migrations++;
          bar.update({ migrations, elapsed });
          break;
        case 'host-done':
        case 'host-deferred':
        case 'host-failed':
          finished++;
          bar.update(finished, {
            step: event.kind === 'host-done' ? 'patched' : event.kind.slice(5),
            elapsed,
          });
          if (event.kind !== 'host-done')
            multibar.log(`${event.host} ${event.kind.slice(5)}: ${event.reason}\n`);
          break;
        default:
          break;
      }
    },
    stop() {
      multibar.stop();
    },
  };
}
