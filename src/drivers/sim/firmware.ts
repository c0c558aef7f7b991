import type { Firmware } from '../../core/ports.js';
import { faultableCalls, outcome } from './calls.js';
import type { SimRuntime } from './runtime.js';

/** The Firmware port on the simulator: a BMC that answers whether the host is up or not. */
export function createSimFirmware({ runtime }: { runtime: SimRuntime }): Firmware {
  const { sim } = runtime;
  const call = faultableCalls(runtime);
  return {
    inventory: (host) =>
      call.read('inventory', { host }, async () =>
        [...sim.host(host).firmware].map(([component, f]) => ({
          component,
          version: f.version,
          ...(f.staged !== undefined && { staged: f.staged }),
        })),
      ),
    stage: (host, component, version) =>
      call.command('stage', { host }, [host, component, version], (job) => outcome(runtime, job)),
    apply: (host, component) =>
      call.command('apply', { host }, [host, component], (job) => outcome(runtime, job)),
  };
}
