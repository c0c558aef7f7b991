import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { BadInput, Conflict } from '../../core/errors.js';
import { openStore } from '../../store/index.js';
import { chooseCampaign, storeAccess, type CampaignAccess, type ControlVerb } from '../campaign/access.js';
import { controlClient } from '../campaign/control.js';
import { liveRun, requireDataDir } from '../campaign/data-dir.js';
import { renderEvent, renderStatus } from '../campaign/status.js';
import { EXIT, printJson } from '../output.js';
import { wholeNumber } from '../numbers.js';

interface WhereFlags {
  dataDir?: string;
  databaseUrl?: string;
  campaign?: string;
}

const ENDED = new Set(['completed', 'aborted', 'halted']);

function where(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'the data directory of hvpatch run')
    .option('--database-url <url>', 'the PostgreSQL server the campaign is kept in (instead of --data-dir)')
    .option('--campaign <id>', 'which campaign (default: the newest)');
}

/** `status`, `pause`, `resume`, `abort` and `events`: a campaign, live or not, wherever it is kept. */
export function registerCampaignCommands(program: Command): void {
  where(
    program.command('status').description('where a campaign stands: hosts, actions, what needs attention'),
  )
    .option('--json', 'print the status as JSON')
    .option('--watch', 'print it again every 2 seconds until the campaign ends')
    .addHelpText(
      'after',
      '\nExamples:\n  hvpatch status --data-dir ./campaign\n  hvpatch status --data-dir ./campaign --json | jq .hosts',
    )
    .action((flags: WhereFlags & { json?: boolean; watch?: boolean }) =>
      withAccess(flags, async (access) => {
        for (;;) {
          const status = await access.status();
          if (flags.json) process.stdout.write(`${JSON.stringify(status)}\n`);
          else process.stdout.write(renderStatus(status));
          if (!flags.watch || ENDED.has(status.state)) return;
          await sleep(2000);
        }
      }),
    );

  for (const [verb, description] of [
    [
      'pause',
      'take no new hosts; hosts in flight finish their steps and go back to service, the rest waits for resume',
    ],
    ['resume', 'go on with a paused or halted campaign'],
    ['abort', 'end the campaign: hosts in flight are brought back to service, no new ones are taken'],
  ] as const) {
    where(program.command(verb).description(description))
      .option('--reason <text>', 'why, for the audit trail', `${verb} requested by an operator`)
      .option('--json', 'print the campaign afterwards as JSON')
      .action((flags: WhereFlags & { reason: string; json?: boolean }) =>
        withAccess(flags, async (access) => {
          const actor = `${userInfo().username}@${hostname()}`;
          const after = await access.control(verb as ControlVerb, { actor, reason: flags.reason });
          if (flags.json) printJson(after);
          else process.stdout.write(`campaign ${after.id} is now ${after.state}\n`);
        }),
      );
  }

  where(
    program
      .command('events')
      .description('the audit trail: every state change and decision, who made it and why'),
  )
    .option('--json', 'JSON: an array, or one object per line with --follow')
    .option('--after <id>', 'only events after this one', '0')
    .option('--follow', 'keep printing new events until the campaign ends')
    .addHelpText(
      'after',
      '\nExamples:\n  hvpatch events --data-dir ./campaign\n  hvpatch events --data-dir ./campaign --json | jq \'.[] | select(.kind == "host-failed")\'',
    )
    .action((flags: WhereFlags & { json?: boolean; after: string; follow?: boolean }) =>
      withAccess(flags, async (access) => {
        let after = wholeNumber(program, '--after', flags.after, 0, Number.MAX_SAFE_INTEGER);
        const all = [];
        for (;;) {
          const page = await access.events({ after, limit: 1000 });
          after = page.at(-1)?.id ?? after;
          if (flags.follow) {
            for (const event of page)
              process.stdout.write(`${flags.json ? JSON.stringify(event) : renderEvent(event)}\n`);
          } else all.push(...page);
          if (page.length === 1000) continue;
          if (!flags.follow) break;
          if (ENDED.has((await access.status()).state)) return;
          await sleep(1000);
        }
        if (flags.json) printJson(all);
        else for (const event of all) process.stdout.write(`${renderEvent(event)}\n`);
      }),
    );
}

/** Through the live run's control socket if one holds the data directory, else by opening the store. */
async function withAccess(flags: WhereFlags, use: (access: CampaignAccess) => Promise<void>): Promise<void> {
  let access: CampaignAccess;
  if (flags.databaseUrl !== undefined) {
    const store = await openStore({ url: flags.databaseUrl });
    access = storeAccess(store, await chooseCampaign(store, flags.campaign).catch(closing(store)), () =>
      store.close(),
    );
  } else if (flags.dataDir !== undefined) {
    const dir = requireDataDir(flags.dataDir);
    const live = liveRun(dir);
    // A server answers on its HTTP API only, and its embedded database takes one process.
    if (live?.command === 'serve')
      throw new Conflict(`${dir.root} is in use by hvpatch serve (pid ${live.pid}): use its API`);
    if (live !== undefined) access = controlClient(dir.socket);
    else {
      const store = await openStore({ dataDir: dir.store });
      access = storeAccess(store, await chooseCampaign(store, flags.campaign).catch(closing(store)), () =>
        store.close(),
      );
    }
  } else {
    throw new BadInput([
      { path: '--data-dir', message: 'say where the campaign is: --data-dir DIR or --database-url URL' },
    ]);
  }
  try {
    await use(access);
    process.exitCode = EXIT.ok;
  } finally {
    await access.close();
  }
}

function closing(store: { close(): Promise<void> }) {
  return async (error: unknown): Promise<never> => {
    await store.close();
    throw error;
  };
}
