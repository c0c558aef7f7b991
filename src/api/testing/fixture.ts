import { fileURLToPath } from 'node:url';
import { generateFleet } from '../../core/generate/index.js';
import { Policy, type Fleet } from '../../core/model/index.js';
import { loadAdvisories } from '../../drivers/advisories/index.js';
import { hashToken, type TokenEntry } from '../access.js';
import type { ServerOptions } from '../server.js';

/** The real advisories the project ships. */
export const ADVISORIES_DIR = fileURLToPath(new URL('../../../data/advisories/osv', import.meta.url));

/** Secrets for tests, one per role; the server is given only their hashes. */
export const SECRETS = {
  viewer: 'test-viewer-secret-0001',
  operator: 'test-operator-secret-0002',
  approver: 'test-approver-secret-0003',
  owner: 'test-owner-secret-0004',
} as const;

export const NAMES = { viewer: 'vera', operator: 'otto', approver: 'anna', owner: 'olga' } as const;

export function testTokens(ownerService: string): TokenEntry[] {
  return (Object.keys(SECRETS) as (keyof typeof SECRETS)[]).map((role) => ({
    name: NAMES[role],
    role,
    sha256: hashToken(SECRETS[role]),
    ...(role === 'owner' && { service: ownerService }),
  }));
}

export const bearer = (role: keyof typeof SECRETS) => ({ authorization: `Bearer ${SECRETS[role]}` });

/** A policy with deadlines, so that overdue fixes show. */
export const TEST_POLICY = Policy.parse({
  deadlines: { critical: { within: '1d' }, high: { within: '7d' }, medium: { within: '30d' } },
});

/** A generated fleet with the shipped advisories, served on the simulator as fast as it can run. */
export async function testServerOptions(
  hosts: number,
  seed = 1,
): Promise<ServerOptions & { fleet: Fleet; ownerService: string }> {
  const fleet = generateFleet({ hosts, seed, guestsPerHost: 3 });
  const { advisories } = await loadAdvisories([ADVISORIES_DIR]);
  const ownerService = fleet.services[0]!.id;
  return {
    fleet,
    advisories,
    policy: TEST_POLICY,
    tokens: testTokens(ownerService),
    ownerService,
    sim: { seed, speed: Infinity, startTime: Date.parse('2026-11-01T00:00:00Z') },
  };
}
