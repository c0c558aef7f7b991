import { describe, expect, it } from 'vitest';
import { parseEcosystem } from './ecosystem.js';

describe('parseEcosystem', () => {
  it.each([
    ['Ubuntu:22.04:LTS', { distro: 'Ubuntu', release: '22.04', codename: 'jammy', pro: false, lts: true }],
    [
      'Ubuntu:Pro:18.04:LTS',
      { distro: 'Ubuntu', release: '18.04', codename: 'bionic', pro: true, lts: true },
    ],
    [
      'Ubuntu:Pro:14.04:LTS',
      { distro: 'Ubuntu', release: '14.04', codename: 'trusty', pro: true, lts: true },
    ],
    ['Ubuntu:25.10', { distro: 'Ubuntu', release: '25.10', codename: 'questing', pro: false, lts: false }],
    ['Debian:12', { distro: 'Debian', release: '12', codename: 'bookworm', pro: false, lts: false }],
  ])('reads %s', (raw, expected) => {
    expect(parseEcosystem(raw)).toEqual({ ...expected, raw });
  });

  it('leaves out the codename of a release it does not know yet', () => {
    expect(parseEcosystem('Ubuntu:30.10')).toEqual({
      distro: 'Ubuntu',
      release: '30.10',
      pro: false,
      lts: false,
      raw: 'Ubuntu:30.10',
    });
  });

  it.each([
    'PyPI',
    'Ubuntu',
    'Ubuntu:22.04:ESM',
    'Ubuntu:Pro:FIPS:20.04:LTS',
    'Debian:sid',
    'ubuntu:22.04:LTS',
    'Alpine:v3.19',
  ])('does not read %s', (raw) => expect(parseEcosystem(raw)).toBeUndefined());
});
