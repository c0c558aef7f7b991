import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import { stringify as toYaml } from 'yaml';
import {
  DEFAULT_GUESTS_PER_HOST,
  MAX_GUESTS_PER_HOST,
  MAX_HOSTS,
  fleetToDocument,
  generateFleet,
  jsonChunks,
} from '../../core/generate/index.js';

interface GenerateFlags {
  hosts?: string;
  seed?: string;
  guestsPerHost?: string;
  out?: string;
}

const MAX_SEED = 0xffff_ffff;

export function registerFleetCommands(program: Command): void {
  // Another command module may already have opened the `fleet` group (e.g. `fleet show`).
  const fleet =
    program.commands.find((command) => command.name() === 'fleet') ??
    program.command('fleet').description('work with fleet inventories');

  fleet
    .command('generate')
    .description('generate a realistic synthetic fleet from a seed: same seed, same bytes')
    .addOption(new Option('--hosts <n>', `number of hypervisors, 1 to ${MAX_HOSTS} (required)`))
    .addOption(new Option('--seed <n>', `seed, 0 to ${MAX_SEED} (required)`))
    .addOption(
      new Option(
        '--guests-per-host <n>',
        `average guests per hypervisor, 1 to ${MAX_GUESTS_PER_HOST} (default: ${DEFAULT_GUESTS_PER_HOST})`,
      ),
    )
    .addOption(
      new Option(
        '--out <file>',
        'write to FILE instead of stdout; YAML if it ends in .yaml or .yml, else JSON',
      ),
    )
    .addHelpText(
      'after',
      `
Every host is kept at 55–85 % of its memory ceiling, so the guest count per host follows
--guests-per-host only as far as the hardware catalogue allows at that load.
JSON is written with two-space indentation; YAML is much slower to write for large fleets.

Examples:
  hvpatch fleet generate --hosts 50 --seed 1 --out fleet.yaml
  hvpatch fleet generate --hosts 5000 --seed 7 > fleet.json`,
    )
    .action(async (flags: GenerateFlags) => {
      const hosts = wholeNumber(
        program,
        '--hosts',
        flags.hosts,
        1,
        MAX_HOSTS,
        'how many hypervisors to generate',
      );
      const seed = wholeNumber(
        program,
        '--seed',
        flags.seed,
        0,
        MAX_SEED,
        'the same seed gives the same fleet',
      );
      const guestsPerHost =
        flags.guestsPerHost === undefined
          ? DEFAULT_GUESTS_PER_HOST
          : wholeNumber(program, '--guests-per-host', flags.guestsPerHost, 1, MAX_GUESTS_PER_HOST, '');

      const started = performance.now();
      // Open the file first, so a bad --out fails before the work rather than after it.
      const file = flags.out === undefined ? undefined : createWriteStream(flags.out);
      if (file) {
        try {
          await once(file, 'open');
        } catch (error) {
          program.error(`error: --out ${flags.out} cannot be written: ${(error as Error).message}`, {
            exitCode: 2,
          });
        }
      }
      const fleet = generateFleet({ hosts, seed, guestsPerHost });
      const document = fleetToDocument(fleet);
      const yaml = flags.out !== undefined && /\.ya?ml$/i.test(flags.out);
      const chunks = yaml
        ? [toYaml(document, { aliasDuplicateObjects: false, lineWidth: 0 })]
        : withNewline(jsonChunks(document, 2));
      let bytes = 0;
      const counted = (function* () {
        for (const chunk of chunks) {
          bytes += Buffer.byteLength(chunk);
          yield chunk;
        }
      })();
      if (file) await pipeline(Readable.from(counted), file);
      else {
        try {
          await pipeline(Readable.from(counted), process.stdout, { end: false });
        } catch (error) {
          // The reader went away (`| head`): it has all it wanted, which is not a failure.
          if ((error as NodeJS.ErrnoException).code === 'EPIPE') return;
          throw error;
        }
      }

      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      process.stderr.write(
        `generated ${fleet.hosts.length} hosts, ${fleet.guests.length} guests, ${fleet.services.length} services, ` +
          `${fleet.clusters.length} clusters in ${seconds} s → ${flags.out ?? 'stdout'} (${(bytes / 1e6).toFixed(1)} MB)\n`,
      );
    });
}

/** A strictly decimal whole number in [min, max], or a usage error naming the flag (exit 2). */
function wholeNumber(
  program: Command,
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
  hint: string,
): number {
  if (text === undefined)
    program.error(`error: ${flag} is required${hint ? ` (${hint})` : ''}`, { exitCode: 2 });
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    program.error(`error: ${flag} must be a whole number from ${min} to ${max}, not '${text}'`, {
      exitCode: 2,
    });
  }
  return value;
}

function* withNewline(chunks: Iterable<string>): Generator<string> {
  yield* chunks;
  yield '\n';
}
