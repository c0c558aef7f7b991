import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  aptRestoreCommand,
  aptUpgradeCommand,
  procScanCommand,
  readFileCommand,
  writeFileCommand,
} from './commands.js';
import { parseProcScan } from './parse.js';
import { shellCommand } from './quote.js';

/** Runs a command line as the SSH server would: through the user's shell. */
function run(argv: readonly string[], input?: string) {
  return spawnSync('sh', ['-c', shellCommand(argv)], { encoding: 'utf8', input });
}

describe('apt commands', () => {
  it('upgrade exactly the planned name=version pairs, non-interactively, installing nothing new', () => {
    const argv = aptUpgradeCommand([
      { name: 'qemu-system-x86', version: '1:7.2+dfsg-7+deb12u18+b3' },
      { name: 'qemu-system-data', version: '1:7.2+dfsg-7+deb12u18' },
    ]);
    expect(argv.slice(0, 3)).toEqual(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get']);
    expect(argv).toContain('--only-upgrade');
    expect(argv).toContain('-y');
    expect(argv.slice(-2)).toEqual([
      'qemu-system-x86=1:7.2+dfsg-7+deb12u18+b3',
      'qemu-system-data=1:7.2+dfsg-7+deb12u18',
    ]);
    expect(shellCommand(argv)).toContain("'qemu-system-x86=1:7.2+dfsg-7+deb12u18+b3'");
  });

  it('restore downgrades to the old versions and removes what the transaction added', () => {
    const argv = aptRestoreCommand([
      { name: 'qemu-system-x86', version: '1:7.2+dfsg-7+deb12u15' },
      { name: 'libnew1' },
    ]);
    expect(argv).toContain('--allow-downgrades');
    expect(argv.slice(-2)).toEqual(['qemu-system-x86=1:7.2+dfsg-7+deb12u15', 'libnew1-']);
  });
});

describe('the /proc scan', () => {
  it('runs in a plain POSIX shell and finds this very process, with its deleted mappings for the named ones', () => {
    const result = run(procScanCommand(['node', 'vitest']));
    expect(result.status).toBe(0);
    const me = parseProcScan(result.stdout).find((p) => p.pid === process.pid);
    expect(me?.exe).toBe(process.execPath);
    expect(me?.exeDeleted).toBe(false);
    expect(me?.deletedMaps).toEqual([]);
  });
});

describe('the transaction file commands', () => {
  it('write stdin atomically and read it back; a missing file reads as exit status 3', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hvpatch-')), 'sub dir', "it's.json");
    expect(run(readFileCommand(file)).status).toBe(3);
    expect(run(writeFileCommand(file), '{"a":1}\n').status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    expect(run(readFileCommand(file)).stdout).toBe('{"a":1}\n');
  });
});
