import { describe, expect, it } from 'vitest';
import { Unavailable } from '../../core/errors.js';
import {
  parseDomjobinfo,
  parseDomstats,
  parseNames,
  parseNodeinfo,
  parseQueryVersion,
  runState,
} from './parse.js';

// Printed by virsh 9.0.0 (Debian 12) on the lab.
const DOMSTATS = `Domain: 'vm1'
  state.state=1
  state.reason=2
  balloon.current=262144
  balloon.maximum=262144
  balloon.rss=127012
  vcpu.current=1
  vcpu.maximum=1
  vcpu.0.state=1

Domain: 'vm2'
  state.state=5
  state.reason=1
  balloon.current=262144
  balloon.maximum=262144
  vcpu.current=1
  vcpu.maximum=1
`;

const RUNNING_JOB = `Job type:         Unbounded   
Operation:        Outgoing migration
Time elapsed:     1514         ms
Data processed:   14.649 MiB
Data remaining:   226.078 MiB
Data total:       256.508 MiB
Memory processed: 14.649 MiB
Memory remaining: 226.078 MiB
Memory total:     256.508 MiB
Memory bandwidth: 11.290 MiB/s
Dirty rate:       0            pages/s
Page size:        4096         bytes
Iteration:        1           
Postcopy requests: 0           
Constant pages:   4055        
Normal pages:     3734        
Normal data:      14.586 MiB
Expected downtime: 300          ms
Setup time:       1            ms
`;

const COMPLETED_JOB = `Job type:         Completed   
Operation:        Incoming migration
Time elapsed:     745          ms
Time elapsed w/o network: 744          ms
Data processed:   63.491 MiB
Data remaining:   0.000 B
Data total:       256.508 MiB
Iteration:        3           
Total downtime:   90           ms
Downtime w/o network: 89           ms
Setup time:       1            ms
`;

describe('virsh output', () => {
  it('domstats: state, memory and vCPUs of every domain', () => {
    expect(parseDomstats(DOMSTATS)).toEqual([
      { name: 'vm1', state: 1, reason: 2, memoryMiB: 256, vcpus: 1 },
      { name: 'vm2', state: 5, reason: 1, memoryMiB: 256, vcpus: 1 },
    ]);
    expect(parseDomstats('')).toEqual([]);
    expect(runState(1)).toBe('running');
    expect(runState(3)).toBe('running');
    expect(runState(5)).toBe('stopped');
  });

  it('domjobinfo of a migration under way', () => {
    expect(parseDomjobinfo(RUNNING_JOB)).toEqual({
      type: 'Unbounded',
      operation: 'Outgoing migration',
      elapsedMs: 1514,
      processedMiB: 14.649,
      remainingMiB: 226.078,
      totalMiB: 256.508,
      iteration: 1,
      expectedDowntimeMs: 300,
    });
  });

  it('domjobinfo --completed, with the downtime QEMU measured', () => {
    expect(parseDomjobinfo(COMPLETED_JOB)).toMatchObject({
      type: 'Completed',
      elapsedMs: 745,
      remainingMiB: 0,
      iteration: 3,
      downtimeMs: 90,
    });
    expect(parseDomjobinfo('Job type:         None        \n')).toEqual({ type: 'None' });
    expect(() => parseDomjobinfo('error: something else')).toThrow(Unavailable);
  });

  it('query-version: the distribution package version, else the upstream one', () => {
    expect(
      parseQueryVersion(
        '{"return":{"qemu":{"micro":18,"minor":2,"major":7},"package":"Debian 1:7.2+dfsg-7+deb12u15"},"id":"libvirt-419"}',
      ),
    ).toBe('1:7.2+dfsg-7+deb12u15');
    expect(parseQueryVersion('{"return":{"qemu":{"micro":0,"minor":2,"major":8},"package":""}}')).toBe(
      '8.2.0',
    );
    expect(() => parseQueryVersion('not json')).toThrow(Unavailable);
  });

  it('nodeinfo and name lists', () => {
    expect(
      parseNodeinfo(
        'CPU model:           x86_64\nCPU(s):              2\nMemory size:         7694548 KiB\n',
      ),
    ).toEqual({
      cpus: 2,
      memoryMiB: 7514,
    });
    expect(parseNames('vm1\nvm2\n\n')).toEqual(['vm1', 'vm2']);
  });
});
