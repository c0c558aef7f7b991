import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { generateTokens, parseTokensFile, startServer, type TokenEntry } from '../../api/index.js';
import { validateFleetDocument, validatePolicyDocument } from '../../core/documents/index.js';
import { BadInput } from '../../core/errors.js';
import { generateFleet } from '../../core/generate/index.js';
import type { Fleet, Policy } from '../../core/model/index.js';
import { loadAdvisories } from '../../drivers/advisories/index.js';
import { claimDataDir, dataDir } from '../campaign/data-dir.js';
import { readOwners } from '../campaign/owners-file.js';
import { EXIT } from '../output.js';
import { readSourceDocument } from '../read-input.js';
import { printWarnings } from '../needs/warnings.js';

const SHIPPED_ADVISORIES = fileURLToPath(new URL('../../../data/advisories/osv', import.meta.url));

interface ServeFlags {
  fleet?: string;
  hosts: string;
  seed: string;
  advisories: string[];
  policy?: string;
  owners?: string;
  tokens?: string;
  dataDir?: string;
  storeUrl?: string;
  simDir?: string;
  host: string;
  port: string;
  speed: string;
  log?: boolean;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (OpenAPI at /openapi.json) and the dashboard for a simulated fleet')
    .option('--fleet <file>', 'fleet inventory (YAML or JSON); without it a fleet is generated')
    .option('--hosts <n>', 'hosts of the generated fleet', '40')
    .option('--seed <n>', 'seed of the generated fleet and of the simulator', '1')
    .option('--advisories <source...>', 'OSV/Livepatch advisories (files, directories, URLs)', [
      SHIPPED_ADVISORIES,
    ])
    .option(
      '--policy <file>',
      "policy: deadlines for compliance, defaults for plan previews, the services whose owners' consent campaigns wait for",
    )
    .option(
      '--owners <file>',
      "the owners' webhook endpoints (YAML or JSON: owner name -> {url, secret}): owners are told, and hosts wait for the notice periods and consents their services ask for",
    )
    .option(
      '--tokens <file>',
      'API tokens (YAML or JSON: tokens: [{name, role, service?, sha256}]); without it one token per role is made up and printed once',
    )
    .addOption(
      new Option('--data-dir <dir>', 'keep campaigns in an embedded database here').conflicts('storeUrl'),
    )
    .option('--store-url <url>', 'keep campaigns in this PostgreSQL database')
    .addOption(
      new Option(
        '--sim-dir <dir>',
        'keep the simulated world here (with --store-url; --data-dir keeps it in DIR/sim)',
      ).conflicts('dataDir'),
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free one)', '8080')
    .option('--speed <factor>', 'simulated time per real time while a campaign runs', '600')
    .option('--log', 'log requests (method, path, status; never headers or tokens) on standard error')
    .addHelpText(
      'after',
      `
Roles: viewer (reads), operator (previews plans, makes and runs campaigns), approver
(approves stages), owner (consents for the one service named in the token). Send a
token as "Authorization: Bearer <token>"; the tokens file holds only SHA-256 hashes:
  printf %s "$TOKEN" | sha256sum

Campaigns run on the simulator, the fleet's digital twin, --speed times faster than real time.

Restarts: with --data-dir the campaigns and the simulated world they act on are both kept
there (the world in DIR/sim, as the setup it was made from and a journal of every call made
on it, replayed on start). Stop the server (Ctrl-C, SIGTERM) and start it again on the same
directory: the world is back where it was, and each campaign that was running goes on (one
line on standard error per campaign resumed). A directory whose world is of another fleet or
seed is refused (exit 2); so is one holding unfinished campaigns but not their world (exit 1),
rather than run them on a world that does not match what they did. With --store-url the world
is kept only with --sim-dir: without it a restarted server starts the world afresh from the
fleet and leaves campaigns found running alone (it says so). One server at a time keeps a
directory: while one lives, another on the same --data-dir or --sim-dir is refused (exit 1).

With --owners, the owners of the services a campaign disrupts get signed webhooks (see
src/engine/owners/README.md): an advance notice when the service's notice period opens, then
progress. The hosts carrying a service's guests wait until its notice has been delivered and
its notice period has run out, or, for services in the policy's approvals.ownerConsent, until
the owner consents; a campaign whose disrupted service's owner has no endpoint is refused
when it is started. Without --owners nobody is told and notice periods hold no host: starting
a campaign logs which services ask for one.

Examples:
  hvpatch serve
  hvpatch serve --fleet fleet.yaml --policy policy.yaml --tokens tokens.yaml --data-dir ./state --port 8080
  hvpatch serve --fleet fleet.yaml --owners owners.yaml --data-dir ./state
  hvpatch serve --fleet fleet.yaml --store-url postgres://hvpatch@db/hvpatch --sim-dir ./world`,
    )
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      const speed = Number(flags.speed);
      const hosts = Number(flags.hosts);
      const seed = Number(flags.seed);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        program.error(`error: --port must be 0 to 65535, not '${flags.port}'`, { exitCode: EXIT.badInput });
      if (!(speed > 0))
        program.error(`error: --speed must be more than 0, not '${flags.speed}'`, {
          exitCode: EXIT.badInput,
        });
      if (!Number.isInteger(hosts) || hosts < 1 || hosts > 10_000)
        program.error(`error: --hosts must be 1 to 10000, not '${flags.hosts}'`, { exitCode: EXIT.badInput });
      if (!Number.isInteger(seed) || seed < 0)
        program.error(`error: --seed must be a whole number, not '${flags.seed}'`, {
          exitCode: EXIT.badInput,
        });

      // Its world and journal belong to its own store: serving them with another would split them.
      if (flags.dataDir !== undefined && existsSync(join(flags.dataDir, 'store')))
        throw new BadInput([
          {
            path: '--data-dir',
            message: `${flags.dataDir} is the data directory of hvpatch run or demo (it holds store/): serve keeps its own, give another directory`,
          },
        ]);
      const fleet = flags.fleet === undefined ? generateFleet({ hosts, seed }) : await readFleet(flags.fleet);
      const policy = flags.policy === undefined ? undefined : await readPolicy(flags.policy);
      const owners = flags.owners === undefined ? undefined : await readOwners(flags.owners);
      if (owners === null) return;
      const loaded = await loadAdvisories(flags.advisories);
      printWarnings(loaded.problems);
      if (loaded.advisories.length === 0)
        throw new BadInput([{ message: `no advisory could be read from ${flags.advisories.join(', ')}` }]);
      let tokens: TokenEntry[];
      let secrets: Record<string, string> | undefined;
      if (flags.tokens === undefined) ({ entries: tokens, secrets } = generateTokens(fleet.services[0]?.id));
      else tokens = parseTokensFile(await readFile(flags.tokens, 'utf8'), flags.tokens);

      const simDir = flags.simDir ?? (flags.dataDir === undefined ? undefined : join(flags.dataDir, 'sim'));
      if (flags.storeUrl !== undefined && simDir === undefined)
        process.stderr.write(
          'hvpatch: the simulated world is not kept across restarts (give --sim-dir to keep it): a restarted server starts it afresh from the fleet and leaves campaigns found running alone\n',
        );
      // One process per directory: PGlite takes no lock, and two servers would append to one journal.
      const claimed = flags.dataDir ?? flags.simDir;
      const release =
        claimed === undefined
          ? () => undefined
          : claimDataDir(dataDir(claimed), {
              pid: process.pid,
              worker: `${hostname()}:${process.pid}`,
              startedAt: new Date().toISOString(),
              command: 'serve',
            });
      try {
        const server = await startServer({
          fleet,
          advisories: loaded.advisories,
          ...(policy && { policy }),
          ...(owners !== undefined && { owners }),
          tokens,
          ...(flags.storeUrl !== undefined
            ? { store: { url: flags.storeUrl } }
            : flags.dataDir !== undefined && { store: { dataDir: flags.dataDir } }),
          ...(simDir !== undefined && { simDir }),
          sim: { seed, speed },
          report: (line) => process.stderr.write(`hvpatch: ${line}\n`),
          host: flags.host,
          port,
          log: flags.log === true,
        });
        process.stderr.write(
          `hvpatch: serving ${fleet.hosts.length} hosts at ${server.url} (API description: ${server.url}openapi.json)\n`,
        );
        if (secrets !== undefined) {
          // Made up for this run only and kept nowhere: this is the one time they are shown.
          process.stderr.write(
            'tokens for this run (open the dashboard with one in the address fragment):\n',
          );
          for (const [name, secret] of Object.entries(secrets))
            process.stderr.write(`  ${name.padEnd(24)} ${server.url}#token=${secret}\n`);
        }
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        process.stderr.write('hvpatch: stopping (hosts in flight are finished first)\n');
        await server.close();
      } finally {
        release();
      }
    });
}

async function readFleet(file: string): Promise<Fleet> {
  const { document, problems } = await readSourceDocument(file);
  if (!document) throw new BadInput(problems);
  const { fleet, problems: invalid } = validateFleetDocument(document);
  if (!fleet || invalid.length > 0) throw new BadInput(invalid);
  return fleet;
}

async function readPolicy(file: string): Promise<Policy> {
  const { document, problems } = await readSourceDocument(file);
  if (!document) throw new BadInput(problems);
  const { policy, problems: invalid } = validatePolicyDocument(document);
  if (!policy || invalid.length > 0) throw new BadInput(invalid);
  return policy;
}
