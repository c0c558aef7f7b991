import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPlan, Plan } from '../../src/core/plan/index.js';
import { runCli } from '../support/cli.js';

describe('hvpatch plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hvpatch-plan-'));
  const fleet = join(dir, 'fleet.json');
  runCli(['fleet', 'generate', '--hosts', '24', '--seed', '5', '--out', fleet]);

  it('writes a self-contained plan from real advisories that the checker finds safe', () => {
    const out = join(dir, 'plan.json');
    const result = runCli([
      'plan',
      '--fleet',
      fleet,
      '--advisories',
      'data/advisories/osv',
      '--start',
      '2026-11-23T00:00:00Z',
      '--out',
      out,
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Plan by hvpatch for 24 hosts/);
    expect(result.stdout).toContain('checker      no violations');
    const plan = Plan.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(plan.startsAt).toBe('2026-11-23T00:00:00.000Z');
    expect(checkPlan(plan).filter((v) => v.severity === 'error')).toEqual([]);
    // Generated hosts carry kernels and QEMU older than the shared advisories' fixes.
    expect(plan.actions.some((a) => a.kind === 'reboot')).toBe(true);
    expect(
      plan.actions.some(
        (a) => a.kind === 'install' && a.packages?.some((p) => p.name.startsWith('linux-image-')),
      ),
    ).toBe(true);
    // A guest moves at most once, unless the plan says why it must move again.
    const seen = new Set<string>();
    for (const move of plan.actions.filter((a) => a.kind === 'migrate')) {
      if (seen.has(move.guest!)) expect(move).toHaveProperty('reason', expect.any(String));
      seen.add(move.guest!);
    }
    expect(plan.summary.lowerBound.migrations).toBeLessThanOrEqual(plan.summary.migrations);
    // The generated DNS and directory VMs run Ubuntu packages older than the advisories'
    // fixes: the plan patches them, in their order, with the arrays before the cluster.
    const components = plan.fleet.components!;
    expect(components.map((c) => c.kind)).toEqual(expect.arrayContaining(['dns', 'directory']));
    const installs = plan.componentActions!.filter((a) => a.kind === 'install');
    expect(installs.some((a) => a.packages!.some((p) => p.name === 'libssl3'))).toBe(true);
    for (const component of components)
      expect(
        plan.componentActions!.filter((a) => a.component === component.id && a.kind === 'restart'),
      ).toHaveLength(1);
    expect(result.stdout).toMatch(/component {4}\S+-dns1: from 0s to /);
  });

  it('plans the same work with a baseline for comparison, as JSON', () => {
    const result = runCli([
      'plan',
      '--fleet',
      fleet,
      '--advisories',
      'data/advisories/osv',
      '--planner',
      'cau',
      '--json',
    ]);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      planner: string;
      violations: unknown[];
      summary: { makespanS: number };
    };
    expect(summary.planner).toBe('cau');
    expect(summary.violations).toEqual([]);
    expect(summary.summary.makespanS).toBeGreaterThan(0);
  });

  it('refuses an unknown planner and a bad start, exit 2', () => {
    expect(
      runCli(['plan', '--fleet', fleet, '--advisories', 'data/advisories/osv', '--planner', 'magic']).status,
    ).toBe(2);
    const bad = runCli([
      'plan',
      '--fleet',
      fleet,
      '--advisories',
      'data/advisories/osv',
      '--start',
      'tomorrow',
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--start');
  });
});
