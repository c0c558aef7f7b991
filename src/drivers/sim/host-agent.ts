import { Unavailable } from '../../core/errors.js';
import type { HostAgent, RunningVersions } from '../../core/ports.js';
import type { HostView } from '../../core/sim/index.js';
import { faultableCalls, outcome } from './calls.js';
import type { SimRuntime } from './runtime.js';

/** The HostAgent port on the simulator: what ssh + apt would find and do on a simulated hypervisor. */
export function createSimHostAgent({ runtime }: { runtime: SimRuntime }): HostAgent {
  const { sim } = runtime;
  const call = faultableCalls(runtime);

  /** The agent answers only from a host that is up. */
  const reachable = (id: string): HostView => {
    const host = sim.host(id);
    if (host.power !== 'up') throw new Unavailable(`host '${id}' is ${host.power}`);
    return host;
  };

  return {
    installedPackages: (host) =>
      call.read('installedPackages', { host }, async () =>
        [...reachable(host).packages.values()].map((p) => ({ ...p })),
      ),
    runningVersions: (host) =>
      call.read('runningVersions', { host }, async () => runningVersions(reachable(host))),
    installPackages: (host, packages) =>
      call.command('installPackages', { host }, [host, packages], (job) => outcome(runtime, job)),
    applyLivePatch: (host, patch) =>
      call.command('applyLivePatch', { host }, [host, patch], (job) => outcome(runtime, job)),
    restartDaemon: (host, name) =>
      call.command('restartDaemon', { host }, [host, name], (job) => outcome(runtime, job)),
    reboot: (host) => call.command('reboot', { host }, [host], (job) => outcome(runtime, job)),
    health: (host) =>
      call.read('health', { host }, async () => {
        const h = reachable(host);
        return {
          healthy: !h.degraded,
          bootId: h.bootId,
          checks: [
            { name: 'agent', ok: true },
            {
              name: 'hypervisor',
              ok: !h.degraded,
              ...(h.degraded && { detail: 'hypervisor services failed their checks since the last boot' }),
            },
          ],
        };
      }),
    rollback: (host) => call.command('rollback', { host }, [host], (job) => outcome(runtime, job)),
  };

  function runningVersions(host: HostView): RunningVersions {
    const qemuByGuest: Record<string, string> = {};
    for (const id of host.guests) {
      const guest = sim.guest(id);
      if (guest.qemuVersion !== undefined && guest.state !== 'stopped') qemuByGuest[id] = guest.qemuVersion;
    }
    return {
      bootId: host.bootId,
      ...(host.runningKernel && { kernel: { ...host.runningKernel } }),
      livePatches: host.livePatches.map((patch) => ({ ...patch })),
      qemuByGuest,
      daemons: [...host.daemons.values()].map((d) => ({
        name: d.name,
        mapsDeletedFrom: [...d.mapsDeletedFrom].sort(),
      })),
    };
  }
}
