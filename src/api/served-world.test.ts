/**
 * A server's simulated world kept in a directory, when that directory no longer holds what a
 * running campaign needs: the server refuses to start, naming the file, rather than run the
 * campaign in a world that does not match what it did; and without a kept world it leaves the
 * campaign alone. Put back, the world is replayed and the campaign resumed. A journal from another
 * world is refused; a world lost under finished campaigns only is made again, with a warning.
 */
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInput, Conflict } from '../core/errors.js';
import { createApiServer, type ApiServer, type ServerOptions } from './server.js';
import { bearer, testServerOptions } from './testing/fixture.js';

const work = mkdtempSync(join(tmpdir(), 'hvpatch-served-world-'));
const simDir = join(work, 'sim');
const worldFile = join(simDir, 'world.json');
const journalFile = join(simDir, 'journal.ndjson');
let options: ServerOptions;
let campaign: string;

async function call<T>(
  server: ApiServer,
  method: 'GET' | 'POST',
  url: string,
  role: 'viewer' | 'operator' | 'approver',
  payload?: object,
) {
  const response = await server.app.inject({
    method,
    url,
    headers: bearer(role),
    ...(payload && { payload }),
  });
  if (response.statusCode >= 300)
    throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
  return response.json<T>();
}

/** A server on the data directory, with what it tells the operator as it starts. */
async function open(serving: ServerOptions = options) {
  const said: string[] = [];
  const server = await createApiServer({ ...serving, report: (line) => said.push(line) });
  return { server, said };
}

/** What stopped the server from starting; fails the test if it started. */
const refused = () =>
  open().then(
    () => expect.fail('the server started'),
    (e: unknown) => e,
  );

beforeAll(async () => {
  const base = await testServerOptions(8, 1);
  // Paced, so that the campaign is still running when the server closes.
  options = { ...base, store: { dataDir: join(work, 'store') }, simDir, sim: { ...base.sim, speed: 300 } };
  const { server } = await open();
  try {
    const plan = await call<{ id: string }>(server, 'POST', '/api/plans', 'operator', { planner: 'hvpatch' });
    ({ id: campaign } = await call<{ id: string }>(server, 'POST', '/api/campaigns', 'operator', {
      planId: plan.id,
    }));
    await call(server, 'POST', `/api/campaigns/${campaign}/approve`, 'approver', {});
    await call(server, 'POST', `/api/campaigns/${campaign}/run`, 'operator');
    for (;;) {
      const actions = await call<{ state: string }[]>(
        server,
        'GET',
        `/api/campaigns/${campaign}/actions`,
        'viewer',
      );
      if (actions.some((a) => a.state === 'succeeded')) break;
      await sleep(50);
    }
  } finally {
    await server.close();
  }
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true, maxRetries: 3 }));

describe('a kept simulated world that is not there', { timeout: 60_000 }, () => {
  it('refuses to start without the world a running campaign acted on, naming the file, and makes none', async () => {
    renameSync(simDir, `${simDir}.aside`);
    try {
      const error = await refused();
      expect(error).toBeInstanceOf(Conflict);
      expect((error as Conflict).message).toMatch(
        new RegExp(
          `^${worldFile} is missing, yet campaign ${campaign} \\(running\\) acted on the simulated world it would keep`,
        ),
      );
      expect(existsSync(simDir)).toBe(false);
    } finally {
      renameSync(`${simDir}.aside`, simDir);
    }
  });

  it('refuses a world whose journal is gone, naming the journal', async () => {
    renameSync(journalFile, `${journalFile}.aside`);
    try {
      const error = await refused();
      expect(error).toBeInstanceOf(BadInput);
      expect((error as BadInput).problems).toEqual([
        {
          file: journalFile,
          message: `is missing, so the simulated world described in ${worldFile} cannot be built again`,
        },
      ]);
      expect(existsSync(journalFile)).toBe(false);
    } finally {
      renameSync(`${journalFile}.aside`, journalFile);
    }
  });

  it('without a kept world, leaves the running campaign alone and says so', async () => {
    const journal = readFileSync(journalFile, 'utf8');
    const { simDir: _kept, ...unkept } = options;
    const { server, said } = await open(unkept);
    try {
      expect(said).toEqual([
        `campaign ${campaign} is running, but the simulated world it ran on was not kept: it was not resumed`,
      ]);
      expect(
        (await call<{ state: string }>(server, 'GET', `/api/campaigns/${campaign}`, 'viewer')).state,
      ).toBe('running');
    } finally {
      await server.close();
    }
    expect(readFileSync(journalFile, 'utf8')).toBe(journal);
  });

  it('with its world back, replays it and resumes the campaign to the end', async () => {
    const calls = readFileSync(journalFile, 'utf8')
      .split('\n')
      .filter((line) => line !== '').length;
    const { server, said } = await open({ ...options, sim: { ...options.sim, speed: Infinity } });
    try {
      expect(said).toEqual([
        `the simulated world is back where it was: ${calls} calls replayed from ${journalFile}`,
        `resumed campaign ${campaign}, which was running when the server stopped`,
      ]);
      for (;;) {
        const { state } = await call<{ state: string }>(
          server,
          'GET',
          `/api/campaigns/${campaign}`,
          'viewer',
        );
        if (state === 'completed') break;
        await sleep(50);
      }
    } finally {
      await server.close();
    }
  });

  it('refuses a journal that does not fit its world, naming the journal and the line', async () => {
    const journal = readFileSync(journalFile, 'utf8');
    // A call made after more world events than this world will ever have: from another world.
    appendFileSync(
      journalFile,
      `${JSON.stringify({ n: 1e9, t: 0, op: 'reboot', subject: { host: 'h' } })}\n`,
    );
    try {
      const error = await refused();
      expect(error).toBeInstanceOf(BadInput);
      const lines = journal.split('\n').filter((line) => line !== '').length;
      expect((error as BadInput).message).toMatch(
        new RegExp(`^${journalFile}:${lines + 1}: the world ran out of events before the call reboot`),
      );
    } finally {
      writeFileSync(journalFile, journal);
    }
  });

  it('refuses a journal whose world setup is gone, naming both, and leaves it as it was', async () => {
    const journal = readFileSync(journalFile, 'utf8');
    renameSync(worldFile, `${worldFile}.aside`);
    try {
      const error = await refused();
      expect(error).toBeInstanceOf(BadInput);
      expect((error as BadInput).problems).toEqual([
        {
          file: journalFile,
          message: `holds calls made on a simulated world whose setup (${worldFile}) is missing, so it cannot be built again`,
        },
      ]);
      expect(existsSync(worldFile)).toBe(false);
      expect(readFileSync(journalFile, 'utf8')).toBe(journal);
    } finally {
      renameSync(`${worldFile}.aside`, worldFile);
    }
  });

  it('starts a new world, saying so, when only finished campaigns ran on the one that is gone', async () => {
    rmSync(simDir, { recursive: true });
    const { server, said } = await open();
    try {
      expect(said).toEqual([
        `the simulated world the finished campaigns ran on was not kept (no ${worldFile}): it starts afresh from the fleet`,
        `keeping the simulated world in ${simDir}`,
      ]);
      expect(readFileSync(journalFile, 'utf8')).toBe('');
      expect(
        (await call<{ state: string }>(server, 'GET', `/api/campaigns/${campaign}`, 'viewer')).state,
      ).toBe('completed');
    } finally {
      await server.close();
    }
  });
});
