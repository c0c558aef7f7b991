import { describe, expect, it } from 'vitest';
import usn61191 from '../../../data/advisories/osv/USN-6119-1.json' with { type: 'json' };
import { parseAdvisory, type Advisory } from '../advisories/index.js';
import type { Component } from '../model/index.js';
import { componentWorkFromNeeds } from '../plan/index.js';
import { computeComponentNeeds } from './component.js';

const advisories: Advisory[] = [parseAdvisory(usn61191, 'USN-6119-1.json').advisory!];

const dns: Component = {
  id: 'dns1',
  kind: 'dns',
  redundancyGroup: 'dns',
  patchAfter: [],
  patchBefore: [],
  firmware: [],
  os: { name: 'Ubuntu', version: '22.04', pro: false },
  packages: [
    { name: 'libssl3', version: '3.0.2-0ubuntu1.9', source: 'openssl' },
    { name: 'openssl', version: '3.0.2-0ubuntu1.10', source: 'openssl' },
  ],
};

const array: Component = {
  id: 'san1',
  kind: 'storage-array',
  patchAfter: [],
  patchBefore: [],
  firmware: [{ component: 'other', vendor: 'NetApp', version: '9.13.1P8', staged: '9.15.1P2' }],
  packages: [],
};

describe('what a supporting component needs', () => {
  it('reads a VM component’s packages against the advisories, by its lowest binary', () => {
    const [needs] = computeComponentNeeds([dns], advisories);
    expect(needs).toEqual({
      component: 'dns1',
      packages: [
        {
          source: 'openssl',
          installed: '3.0.2-0ubuntu1.9',
          fixed: '3.0.2-0ubuntu1.10',
          advisories: ['USN-6119-1'],
        },
      ],
      firmware: [],
    });
    const work = componentWorkFromNeeds({ components: [dns] }, [needs!], advisories);
    expect(work).toEqual([
      {
        component: 'dns1',
        packages: [
          { name: 'libssl3', version: '3.0.2-0ubuntu1.10' },
          { name: 'openssl', version: '3.0.2-0ubuntu1.10' },
        ],
        firmware: [],
      },
    ]);
  });

  it('takes staged firmware to be activated, and leaves out what needs nothing', () => {
    const patched: Component = {
      ...dns,
      id: 'dns2',
      packages: dns.packages.map((pkg) => ({ ...pkg, version: '3.0.2-0ubuntu1.10' })),
    };
    const needs = computeComponentNeeds([array, patched], advisories);
    expect(needs).toEqual([
      {
        component: 'san1',
        packages: [],
        firmware: [{ component: 'other', version: '9.13.1P8', staged: '9.15.1P2' }],
      },
    ]);
  });
});
