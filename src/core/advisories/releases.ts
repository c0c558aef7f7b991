/**
 * Release codenames, because native Livepatch notices name releases by codename while OSV
 * ecosystems and hosts' `os.version` use numbers. Extend when a release ships.
 */
const UBUNTU: Record<string, string> = {
  precise: '12.04',
  trusty: '14.04',
  xenial: '16.04',
  bionic: '18.04',
  cosmic: '18.10',
  disco: '19.04',
  eoan: '19.10',
  focal: '20.04',
  groovy: '20.10',
  hirsute: '21.04',
  impish: '21.10',
  jammy: '22.04',
  kinetic: '22.10',
  lunar: '23.04',
  mantic: '23.10',
  noble: '24.04',
  oracular: '24.10',
  plucky: '25.04',
  questing: '25.10',
  resolute: '26.04',
};

const DEBIAN: Record<string, string> = {
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};

const invert = (table: Record<string, string>) =>
  new Map(Object.entries(table).map(([name, version]) => [version, name]));
const UBUNTU_BY_VERSION = invert(UBUNTU);
const DEBIAN_BY_VERSION = invert(DEBIAN);

export function ubuntuVersionOf(codename: string): string | undefined {
  return Object.hasOwn(UBUNTU, codename) ? UBUNTU[codename] : undefined;
}

export function codenameOf(distro: 'Ubuntu' | 'Debian', version: string): string | undefined {
  return (distro === 'Ubuntu' ? UBUNTU_BY_VERSION : DEBIAN_BY_VERSION).get(version);
}
