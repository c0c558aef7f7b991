import type { Simulation } from '../../core/sim/index.js';

/**
 * The calls on the ports that change the simulated world, each as the one synchronous
 * simulation command it gives. The ports and the journal's replay both go through this table,
 * so a replayed run changes the world exactly as the original did.
 */
export const COMMANDS = {
  disableHost: (sim: Simulation, host: string, reason: string) => sim.disableHost(host, reason),
  enableHost: (sim: Simulation, host: string) => sim.enableHost(host),
  liveMigrate: (sim: Simulation, guest: string, target: string) => sim.migrate(guest, target),
  abortMigration: (sim: Simulation, id: string) => sim.abortMigration(id),
  stopGuest: (sim: Simulation, guest: string) => sim.stopGuest(guest),
  startGuest: (sim: Simulation, guest: string) => sim.startGuest(guest),
  installPackages: (sim: Simulation, ...[host, packages]: Parameters<Simulation['installPackages']>) =>
    sim.installPackages(host, packages),
  applyLivePatch: (sim: Simulation, ...[host, patch]: Parameters<Simulation['applyLivePatch']>) =>
    sim.applyLivePatch(host, patch),
  restartDaemon: (sim: Simulation, host: string, name: string) => sim.restartDaemon(host, name),
  reboot: (sim: Simulation, host: string) => sim.reboot(host),
  rollback: (sim: Simulation, host: string) => sim.rollback(host),
  stage: (sim: Simulation, ...[host, component, version]: Parameters<Simulation['stageFirmware']>) =>
    sim.stageFirmware(host, component, version),
  apply: (sim: Simulation, ...[host, component]: Parameters<Simulation['applyFirmware']>) =>
    sim.applyFirmware(host, component),
};

export type CommandName = keyof typeof COMMANDS;

type Rest<F> = F extends (sim: Simulation, ...args: infer A) => unknown ? A : never;
export type CommandArgs<C extends CommandName> = Rest<(typeof COMMANDS)[C]>;
export type CommandResult<C extends CommandName> = ReturnType<(typeof COMMANDS)[C]>;

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export function runCommand<C extends CommandName>(
  sim: Simulation,
  name: C,
  args: CommandArgs<C>,
): CommandResult<C> {
  const command = COMMANDS[name] as unknown as (sim: Simulation, ...args: CommandArgs<C>) => CommandResult<C>;
  return command(sim, ...args);
}
