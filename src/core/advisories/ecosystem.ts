import type { Ecosystem } from './model.js';
import { codenameOf } from './releases.js';

/**
 * The forms Canonical and Debian publish: `Ubuntu:22.04:LTS`, `Ubuntu:Pro:18.04:LTS` (ESM),
 * `Ubuntu:25.10` (interim), `Debian:12`. Anything else — other distributions, or Ubuntu
 * variants such as `Ubuntu:Pro:FIPS:20.04:LTS` whose packages differ from the plain
 * release's — is not one a host here can be matched against, so it yields undefined.
 */
const UBUNTU = /^Ubuntu:(Pro:)?(\d{2}\.\d{2})(:LTS)?$/;
const DEBIAN = /^Debian:(\d{1,2})$/;

export function parseEcosystem(raw: string): Ecosystem | undefined {
  const ubuntu = UBUNTU.exec(raw);
  if (ubuntu) {
    const release = ubuntu[2]!;
    return withCodename({
      distro: 'Ubuntu',
      release,
      pro: ubuntu[1] !== undefined,
      lts: ubuntu[3] !== undefined,
      raw,
    });
  }
  const debian = DEBIAN.exec(raw);
  if (debian) return withCodename({ distro: 'Debian', release: debian[1]!, pro: false, lts: false, raw });
  return undefined;
}

function withCodename(ecosystem: Ecosystem): Ecosystem {
  const codename = codenameOf(ecosystem.distro, ecosystem.release);
  return codename === undefined ? ecosystem : { ...ecosystem, codename };
}
