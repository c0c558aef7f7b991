/** The simulator behind the ports: the digital twin the engine, the demo and the tests run against. */
import type { Fleet } from '../../core/model/index.js';
import type { Clock, Firmware, HostAgent, Platform } from '../../core/ports.js';
import { Simulation, type SimOptions } from '../../core/sim/index.js';
import { createSimFirmware } from './firmware.js';
import { createSimHostAgent } from './host-agent.js';
import { createSimPlatform } from './platform.js';
import { replayJournal, type CommandJournal, type JournalEntry } from './journal.js';
import { createSimRuntime, type SimRuntime } from './runtime.js';

export { createSimRuntime, type SimRuntime } from './runtime.js';
export { createSimPlatform } from './platform.js';
export { createSimHostAgent } from './host-agent.js';
export { createSimFirmware } from './firmware.js';
export {
  fileJournal,
  readJournal,
  replayJournal,
  type CommandJournal,
  type JournalEntry,
} from './journal.js';

export interface SimEnvironment {
  sim: Simulation;
  runtime: SimRuntime;
  clock: Clock;
  platform: Platform;
  hostAgent: HostAgent;
  firmware: Firmware;
}

export interface SimEnvironmentOptions extends SimOptions {
  /** Virtual time runs this many times faster than real time; as fast as possible without it. */
  speed?: number;
  /** Every call on the ports is written here before it is made (see `journal.ts`). */
  journal?: CommandJournal;
  /** Calls an earlier process made on this world, played again before anything else happens. */
  replay?: readonly JournalEntry[];
}

/** One simulated fleet with every port wired to it, sharing one virtual clock. */
export function createSimEnvironment(fleet: Fleet, options: SimEnvironmentOptions = {}): SimEnvironment {
  const { speed, journal, replay, ...simOptions } = options;
  const sim = new Simulation(fleet, simOptions);
  if (replay) replayJournal(sim, replay);
  const runtime = createSimRuntime({
    sim,
    ...(speed !== undefined && { speed }),
    ...(journal && { journal }),
  });
  return {
    sim,
    runtime,
    clock: runtime.clock,
    platform: createSimPlatform({ runtime }),
    hostAgent: createSimHostAgent({ runtime }),
    firmware: createSimFirmware({ runtime }),
  };
}
