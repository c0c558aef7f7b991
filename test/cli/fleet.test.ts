import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('hvpatch fleet generate', () => {
  it('writes the same bytes for the same seed, other bytes for another, and a valid fleet', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvpatch-fleet-'));
    for (const [name, seed] of [
      ['a.json', '42'],
      ['b.json', '42'],
      ['c.yaml', '43'],
    ] as const) {
      const result = runCli(['fleet', 'generate', '--hosts', '30', '--seed', seed, '--out', join(dir, name)]);
      expect(result.status).toBe(0);
      expect(result.stderr).toMatch(/generated 30 hosts, \d+ guests/);
    }
    expect(readFileSync(join(dir, 'a.json'))).toEqual(readFileSync(join(dir, 'b.json')));
    const validated = runCli(['validate', join(dir, 'a.json'), join(dir, 'c.yaml')]);
    expect(validated.stderr).toBe('');
    expect(validated.status).toBe(0);
    expect(validated.stdout).toMatch(/a\.json: valid fleet \(30 hosts/);
    expect(validated.stdout).toMatch(/c\.yaml: valid fleet \(30 hosts/);
  });

  it('writes JSON to standard output without --out', () => {
    const result = runCli(['fleet', 'generate', '--hosts', '3', '--seed', '1']);
    expect(result.status).toBe(0);
    const fleet = JSON.parse(result.stdout) as { hosts: unknown[] };
    expect(fleet.hosts).toHaveLength(3);
  });

  it('names the flag that is wrong and exits 2', () => {
    const bad = runCli(['fleet', 'generate', '--hosts', '0', '--seed', '1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--hosts must be a whole number');
    const missing = runCli(['fleet', 'generate', '--hosts', '3']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--seed');
  });
});
