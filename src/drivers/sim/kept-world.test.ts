import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadInput, Conflict } from '../../core/errors.js';
import { generateFleet } from '../../core/generate/index.js';
import {
  discardUnusedWorld,
  keptWorldFiles,
  openKeptWorld,
  readWorldSetup,
  type KeptWorldFiles,
  type WorldSetup,
} from './kept-world.js';

const work = mkdtempSync(join(tmpdir(), 'hvpatch-kept-world-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fleet = generateFleet({ hosts: 3, seed: 2, guestsPerHost: 2 });
const setup: WorldSetup = { fleet, seed: 5, faults: {}, startTime: Date.UTC(2026, 0, 5, 22) };
let dirs = 0;
const freshFiles = () => keptWorldFiles(join(work, `world-${++dirs}`));

/** A world kept in `files` on which one host was disabled: a call the journal keeps. */
async function keptWithOneCall(): Promise<KeptWorldFiles> {
  const files = freshFiles();
  const { env } = openKeptWorld(files, setup);
  await env.platform.disableHost(fleet.hosts[0]!.id, 'kept-world test');
  return files;
}

/** Every file of a kept world with its content: to show that a refusal changed nothing. */
function snapshot(files: KeptWorldFiles): Record<string, string> {
  const dir = join(files.setup, '..');
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

function refusal(open: () => unknown): unknown {
  try {
    open();
  } catch (error) {
    return error;
  }
  return expect.fail('it was not refused');
}

describe('a simulated world kept in a directory', () => {
  it('is made from the setup with its journal, then comes back where the calls left it', async () => {
    const files = freshFiles();
    const made = openKeptWorld(files, setup);
    expect([made.created, made.replayed]).toEqual([true, 0]);
    expect(readFileSync(files.journal, 'utf8')).toBe('');
    expect(readWorldSetup(files)).toEqual(setup);
    const host = fleet.hosts[0]!.id;
    await made.env.platform.disableHost(host, 'kept-world test');

    // The kept clock start is the one used; a later one asked for changes nothing.
    const again = openKeptWorld(files, { ...setup, startTime: setup.startTime + 3_600_000 });
    expect([again.created, again.replayed]).toEqual([false, 1]);
    expect(again.env.sim.host(host).enabled).toBe(false);
    expect(again.env.sim.now).toBeLessThan(setup.startTime + 3_600_000);
  });

  it('refuses, naming the file and each field, a setup other than the one kept, and changes nothing', async () => {
    const files = await keptWithOneCall();
    const before = snapshot(files);
    const other = generateFleet({ hosts: 4, seed: 2, guestsPerHost: 2 });
    const error = refusal(() =>
      openKeptWorld(files, {
        ...setup,
        fleet: other,
        seed: 6,
        faults: { probabilities: { apiTimeout: 0.5 } },
      }),
    );
    expect(error).toBeInstanceOf(BadInput);
    expect((error as BadInput).problems.map((p) => [p.file, p.path])).toEqual([
      [files.setup, 'fleet'],
      [files.setup, 'seed'],
      [files.setup, 'faults'],
    ]);
    expect((error as BadInput).problems[1]!.message).toBe(
      'the simulated world kept here has seed 5, not 6: give seed 5, or keep another world elsewhere',
    );
    expect(snapshot(files)).toEqual(before);
  });

  it('refuses a setup whose journal is gone, unless the caller knows nothing was done in it', async () => {
    const files = await keptWithOneCall();
    rmSync(files.journal);
    const error = refusal(() => openKeptWorld(files, setup));
    expect(error).toBeInstanceOf(BadInput);
    expect((error as BadInput).problems[0]).toMatchObject({ file: files.journal });
    expect(existsSync(files.journal)).toBe(false);

    // As hvpatch run's directories that never made a call have it: the journal made then, empty.
    const opened = openKeptWorld(files, setup, { nothingDoneYet: true });
    expect([opened.created, opened.replayed]).toEqual([false, 0]);
    expect(opened.env.sim.host(fleet.hosts[0]!.id).enabled).toBe(true);
    expect(readFileSync(files.journal, 'utf8')).toBe('');
  });

  it('refuses calls whose setup is missing, and changes nothing', async () => {
    const files = await keptWithOneCall();
    rmSync(files.setup);
    const before = snapshot(files);
    const error = refusal(() => openKeptWorld(files, setup));
    expect(error).toBeInstanceOf(BadInput);
    expect((error as BadInput).problems[0]!.file).toBe(files.journal);
    expect(snapshot(files)).toEqual(before);
  });

  it('is discarded for another only while no call was made on it', async () => {
    const unused = freshFiles();
    openKeptWorld(unused, setup);
    discardUnusedWorld(unused);
    expect([existsSync(unused.setup), existsSync(unused.journal)]).toEqual([false, false]);
    expect(openKeptWorld(unused, { ...setup, seed: 9 }).created).toBe(true);

    const used = await keptWithOneCall();
    const before = snapshot(used);
    const error = refusal(() => discardUnusedWorld(used));
    expect(error).toBeInstanceOf(Conflict);
    expect((error as Conflict).message).toContain(used.journal);
    expect(snapshot(used)).toEqual(before);
  });

  it('names the file of a setup that cannot be read', () => {
    const files = freshFiles();
    openKeptWorld(files, setup);
    writeFileSync(files.setup, '{"fleet": ');
    const error = refusal(() => readWorldSetup(files));
    expect(error).toBeInstanceOf(BadInput);
    expect((error as BadInput).problems[0]!.file).toBe(files.setup);
  });
});
