/** The simulator behind the ports: the digital twin the engine, the demo and the tests run against. */
import type { Fleet } from '../../core/model/index.js';
import type { Clock, Firmware, HostAgent, Platform } from '../../core/ports.js';
import { Simulation, type SimOptions } from '../../core/sim/index.js';
import { createSimFirmware } from './firmware.js';
import { createSimHostAgent } from './host-agent.js';
import { createSimPlatform } from './platform.js';
import { createSimRuntime, type SimRuntime } from './runtime.js';

export { createSimRuntime, type SimRuntime } from './runtime.js';
export { createSimPlatform } from './platform.js';
export { createSimHostAgent } from './host-agent.js';
export { createSimFirmware } from './firmware.js';

export interface SimEnvironment {
  sim: Simulation;
  runtime: SimRuntime;
  clock: Clock;
  platform: Platform;
  hostAgent: HostAgent;
  firmware: Firmware;
}

/** One simulated fleet with every port wired to it, sharing one virtual clock. */
export function createSimEnvironment(fleet: Fleet, options: SimOptions = {}): SimEnvironment {
  const sim = new Simulation(fleet, options);
  const runtime = createSimRuntime({ sim });
  return {
    sim,
    runtime,
    clock: runtime.clock,
    platform: createSimPlatform({ runtime }),
    hostAgent: createSimHostAgent({ runtime }),
    firmware: createSimFirmware({ runtime }),
  };
}
