/**
 * Puts every lab server back on its home host (openstack/boot-servers' layout) whatever
 * order a campaign left them in: an anti-affinity member whose home holds another member
 * waits, and when none can move, a blocking member steps aside to a host free of its group.
 */
import type { Platform } from '../../../src/core/ports.js';
import { bringHome } from '../../../src/drivers/conformance/restore.js';
import type { TestServer } from './cloud.js';

export async function restoreLab(
  platform: Platform,
  servers: readonly TestServer[],
  hosts: readonly string[],
) {
  for (const host of hosts) await platform.enableHost(host);
  for (let round = 0; round < 3 * servers.length; round++) {
    const where = new Map((await platform.listGuests()).map((g) => [g.guest, g.host]));
    const away = servers.filter((s) => where.get(s.id) !== s.home);
    if (away.length === 0) return;
    const peers = (s: TestServer) =>
      servers.filter((o) => o.group !== null && o.group === s.group && o.id !== s.id);
    const free = away.find((s) => !peers(s).some((o) => where.get(o.id) === s.home));
    if (free) {
      await bringHome(platform, free.id, free.home, []);
      continue;
    }
    // Every server away is blocked by a peer on its home: move that peer where its group is not.
    const blocked = away[0]!;
    const blocker = peers(blocked).find((o) => where.get(o.id) === blocked.home)!;
    const groupHosts = new Set(peers(blocker).map((o) => where.get(o.id)));
    const aside = hosts.find((h) => h !== where.get(blocker.id) && !groupHosts.has(h));
    if (!aside) throw new Error(`no host can take ${blocker.name} aside to free ${blocked.home}`);
    await bringHome(platform, blocker.id, aside, []);
  }
  throw new Error('the lab servers could not all be brought home');
}
