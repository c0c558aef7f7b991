import type { HostNeeds, Need } from '../../core/needs/index.js';
import { day, firstFew, formatTable, plural, printable } from './text.js';

/** `hvpatch needs` for people: one line per needed change, then what is not in effect, then totals. */
export function* needsText(hosts: readonly HostNeeds[]): Generator<string> {
  const rows = hosts.flatMap((host) => host.needs.map(needRow));
  if (rows.length > 0) {
    yield formatTable(
      ['HOST', 'PACKAGE', 'INSTALLED → FIXED', 'CLASS', 'SEVERITY', 'DUE', 'IN EFFECT', 'ADVISORIES'],
      rows,
    );
    yield '\n';
  }
  const held = hosts.filter(
    ({ notInEffect: { kernel, guests, daemons } }) => kernel || guests.length || daemons.length,
  );
  if (held.length > 0) {
    yield '\nInstalled but not in effect:\n';
    for (const { host, notInEffect } of held) {
      const { kernel, guests, daemons } = notInEffect;
      const lines: string[] = [];
      if (kernel)
        lines.push(`runs kernel ${kernel.release} (${kernel.running}); ${kernel.newest} is installed`);
      if (guests.length > 0)
        lines.push(
          `${plural(guests.length, 'guest')} still run${guests.length === 1 ? 's' : ''} a QEMU older than ${guests[0]!.installed}`,
        );
      for (const { daemon, mapsDeletedFrom } of daemons)
        lines.push(`${daemon} still maps replaced files of ${mapsDeletedFrom.join(', ')}`);
      for (const line of lines) yield `  ${printable(`${host}: ${line}`)}\n`;
    }
  }
  yield `\n${totals(hosts)}\n`;
}

function needRow(need: Need): string[] {
  return [
    need.host,
    need.package,
    `${need.installed} → ${need.fixed}${need.needsPro ? ' (Ubuntu Pro)' : ''}`,
    need.class,
    need.severity ?? 'unrated',
    need.due === null ? '-' : `${day(need.due)}${need.overdue ? ' OVERDUE' : ''}`,
    need.inEffect ? 'yes' : `no: ${holder(need)}`,
    firstFew(need.advisories),
  ];
}

function holder(need: Need): string {
  if (need.guests !== undefined) return plural(need.guests.length, 'guest') + ' on old QEMU';
  if (need.daemons !== undefined) return `restart ${need.daemons.join(', ')}`;
  if (need.runningKernel !== undefined) return `runs ${need.runningKernel}`;
  return 'not running';
}

function totals(hosts: readonly HostNeeds[]): string {
  const all = hosts.flatMap((host) => host.needs);
  const needed = all.filter((need) => need.inEffect).length;
  const overdue = all.filter((need) => need.overdue).length;
  const compliant = hosts.filter((host) => host.compliant).length;
  return (
    `${plural(hosts.length, 'host')}: ${compliant} compliant, ${hosts.length - compliant} not; ` +
    `${plural(needed, 'update')} needed, ${all.length - needed} installed but not in effect, ${overdue} overdue`
  );
}
