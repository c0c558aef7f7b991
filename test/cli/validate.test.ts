import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';

describe('hvpatch validate', () => {
  it('accepts the shipped examples', () => {
    const result = runCli(['validate', 'examples/fleet.yaml', 'examples/policy.yaml']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('examples/fleet.yaml: valid fleet (4 hosts, 5 guests');
  });

  it('names every error of a broken inventory with line and column, exits 2 and changes nothing', () => {
    const file = 'test/fixtures/inventory/broken-fleet.yaml';
    const before = readFileSync(join(ROOT, file), 'utf8');
    const mtime = statSync(join(ROOT, file)).mtimeMs;
    const result = runCli(['validate', file]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${file}:16:5: hosts[0].vcpu: must be a number, not "sixty-four"`,
      `${file}:20:5: hosts[1].cluster: names cluster 'compute-b', which is not declared`,
      `${file}:28:5: hosts[1].memroyMiB: unknown field 'memroyMiB' (did you mean 'memoryMiB'?)`,
      `${file}:31:54: services[0].disruptionBudget: cannot be more than 100%; got "150%"`,
      `${file}:34:7: guests[1].id: 'g1' is already used by guests[0]`,
      `${file}:34:15: guests[1].host: names host 'cmp-009', which is not declared`,
      '6 problems found; nothing was changed',
    ]);
    expect(readFileSync(join(ROOT, file), 'utf8')).toBe(before);
    expect(statSync(join(ROOT, file)).mtimeMs).toBe(mtime);
  });

  it('reports files it cannot read, and never a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvpatch-validate-'));
    writeFileSync(join(dir, 'empty.yaml'), '');
    writeFileSync(join(dir, 'what.yaml'), 'colour: blue\n');
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from([0x6b, 0x3a, 0x20, 0xe9, 0x0a]));
    const result = runCli([
      'validate',
      join(dir, 'empty.yaml'),
      join(dir, 'missing.yaml'),
      join(dir, 'what.yaml'),
      join(dir, 'latin1.yaml'),
      dir,
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${join(dir, 'empty.yaml')}:1:1: the file is empty`);
    expect(result.stderr).toContain(`${join(dir, 'missing.yaml')}: no such file`);
    expect(result.stderr).toContain(
      `${join(dir, 'what.yaml')}:1:1: cannot tell whether this is a fleet or a policy`,
    );
    expect(result.stderr).toContain(`${join(dir, 'latin1.yaml')}: is not UTF-8 text`);
    expect(result.stderr).toContain(`${dir}: is a directory`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints a JSON report for scripts', () => {
    const result = runCli([
      'validate',
      '--json',
      'examples/policy.yaml',
      'test/fixtures/inventory/broken-fleet.yaml',
    ]);
    expect(result.status).toBe(2);
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      files: { file: string; kind: string; valid: boolean; problems: { line: number; path: string }[] }[];
    };
    expect(report.valid).toBe(false);
    expect(report.files.map((f) => [f.kind, f.valid])).toEqual([
      ['policy', true],
      ['fleet', false],
    ]);
    expect(report.files[1]!.problems[0]).toMatchObject({ line: 16, column: 5, path: 'hosts[0].vcpu' });
  });

  it('exits 2 on usage mistakes', () => {
    const result = runCli(['validate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("missing required argument 'file'");
  });
});

describe('hvpatch schema', () => {
  it('prints the JSON Schema that the committed schemas/ files hold', () => {
    for (const kind of ['fleet', 'policy']) {
      const result = runCli(['schema', kind]);
      expect(result.status).toBe(0);
      const schema = JSON.parse(result.stdout) as { properties: Record<string, unknown> };
      expect(Object.keys(schema.properties)).toContain(kind === 'fleet' ? 'hosts' : 'windows');
      expect(result.stdout).toBe(readFileSync(join(ROOT, `schemas/${kind}.schema.json`), 'utf8'));
    }
  });
});
