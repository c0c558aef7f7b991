import { isFinished } from './migrations.js';
import type { Simulation } from './simulation.js';

/**
 * Checks the world's bookkeeping against itself and returns every broken rule, empty when
 * sound: each guest is on exactly one host (a migrating one is also counted, as held room,
 * on its target); each host's usage is what its guests and incoming migrations add up to;
 * no host is past its ceiling unless an `overcommit` fault allows it; nothing runs on a
 * host that is not up.
 */
export function auditWorld(sim: Simulation): string[] {
  const problems: string[] = [];
  const homes = new Map<string, number>();
  const expected = new Map<
    string,
    { memory: number; vcpu: number; incomingMemory: number; incomingVcpu: number }
  >();
  for (const host of sim.hosts()) {
    expected.set(host.id, { memory: 0, vcpu: 0, incomingMemory: 0, incomingVcpu: 0 });
    for (const guest of host.guests) homes.set(guest, (homes.get(guest) ?? 0) + 1);
  }

  for (const guest of sim.guests()) {
    const count = homes.get(guest.id) ?? 0;
    if (count !== 1) problems.push(`guest '${guest.id}' is listed on ${count} hosts`);
    if (!sim.host(guest.host).guests.has(guest.id)) {
      problems.push(`guest '${guest.id}' is not listed on its host '${guest.host}'`);
    }
    const usage = expected.get(guest.host)!;
    usage.memory += guest.spec.memoryMiB;
    usage.vcpu += guest.spec.vcpu;
    if (guest.state === 'migrating') {
      const migration = guest.migration === undefined ? undefined : sim.migration(guest.migration);
      if (!migration || isFinished(migration.phase) || migration.source !== guest.host) {
        problems.push(`guest '${guest.id}' is migrating without an unfinished migration from its host`);
      }
    } else if (guest.migration !== undefined) {
      problems.push(`guest '${guest.id}' is ${guest.state} but names migration '${guest.migration}'`);
    }
    if (guest.state !== 'stopped' && sim.host(guest.host).power !== 'up') {
      problems.push(
        `guest '${guest.id}' is ${guest.state} on host '${guest.host}', which is ${sim.host(guest.host).power}`,
      );
    }
  }
  const known = new Set([...sim.guests()].map((guest) => guest.id));
  for (const listed of homes.keys()) {
    if (!known.has(listed)) problems.push(`a host lists unknown guest '${listed}'`);
  }

  for (const migration of sim.migrations()) {
    if (isFinished(migration.phase)) continue;
    const usage = expected.get(migration.target)!;
    usage.memory += migration.memoryMiB;
    usage.vcpu += migration.vcpu;
    usage.incomingMemory += migration.memoryMiB;
    usage.incomingVcpu += migration.vcpu;
  }

  for (const host of sim.hosts()) {
    const usage = expected.get(host.id)!;
    if (host.memoryUsedMiB !== usage.memory || host.vcpuUsed !== usage.vcpu) {
      problems.push(
        `host '${host.id}' accounts ${host.memoryUsedMiB} MiB/${host.vcpuUsed} vCPU, its guests and incoming migrations add up to ${usage.memory} MiB/${usage.vcpu} vCPU`,
      );
    }
    if (host.incomingMemoryMiB !== usage.incomingMemory || host.incomingVcpu !== usage.incomingVcpu) {
      problems.push(`host '${host.id}' holds room for incoming migrations that do not add up`);
    }
    const over = host.memoryUsedMiB > host.memoryCeilingMiB || host.vcpuUsed > host.vcpuCeiling;
    if (over && !sim.faults.overcommits(host.id)) {
      problems.push(
        `host '${host.id}' is past its ceiling: ${host.memoryUsedMiB}/${host.memoryCeilingMiB} MiB, ${host.vcpuUsed}/${host.vcpuCeiling} vCPU`,
      );
    }
  }
  return problems;
}
