import type { AffectedPackage, Ecosystem, LivepatchCoverage } from './model.js';
import type { CveSeverities } from './cve-severities.js';
import { parseEcosystem } from './ecosystem.js';
import { fatal, schemaFindings, warning, type Finding } from './findings.js';
import { checkedModuleRegex, livepatchVersionOfId } from './livepatch.js';
import { OsvAffected, OsvAffectedHead } from './osv-schema.js';
import { readRanges } from './osv-ranges.js';

const KNOWN_ECOSYSTEMS = 'Ubuntu:NN.NN[:LTS], Ubuntu:Pro:NN.NN[:LTS] and Debian:N';

export interface AffectedContext {
  id: string;
  livepatchNotice: boolean;
  severities: CveSeverities;
  findings: Finding[];
}

/** One `affected[i]` entry: what it fixes where, and for LSNs which kernels the live patch covers. */
export function readAffected(
  entry: unknown,
  i: number,
  context: AffectedContext,
): { affected?: AffectedPackage; livepatch?: LivepatchCoverage } {
  const { findings } = context;
  const at = ['affected', i];
  const skip = (...found: Finding[]) => {
    findings.push(...found);
    return {};
  };
  const head = OsvAffectedHead.safeParse(entry);
  if (!head.success) return skip(...schemaFindings(head.error, entry, at));
  const raw = head.data.package.ecosystem;
  const ecosystem = parseEcosystem(raw);
  if (!ecosystem) {
    const message = `is '${raw}', which hvpatch cannot match hosts against (it reads ${KNOWN_ECOSYSTEMS}); this entry is skipped`;
    return skip(warning([...at, 'package', 'ecosystem'], message));
  }
  const full = OsvAffected.safeParse(entry);
  if (!full.success) return skip(...schemaFindings(full.error, entry, at));
  const {
    package: pkg,
    ranges,
    versions,
    ecosystem_specific: specific,
    database_specific: database,
  } = full.data;
  if (ranges === undefined && versions === undefined) {
    return skip(fatal(at, 'gives neither ranges nor versions, so no installed version can be judged fixed'));
  }
  const range = readRanges(ranges, [...at, 'ranges'], findings);
  if (!range) return {};
  if (database?.cves_map) {
    context.severities.add(
      database.cves_map.cves,
      [...at, 'database_specific', 'cves_map', 'cves'],
      findings,
    );
  }
  const affected: AffectedPackage = {
    ecosystem,
    sourcePackage: pkg.name,
    ...range,
    ...(versions && { affectedVersions: versions }),
    binaries: (specific?.binaries ?? []).map((binary) => ({
      name: binary.binary_name,
      version: binary.binary_version,
    })),
  };
  if (!context.livepatchNotice) return { affected };
  const regex = specific?.module_name_regex;
  const moduleRegex =
    regex && checkedModuleRegex(regex, [...at, 'ecosystem_specific', 'module_name_regex'], findings);
  const livepatchVersion = livepatchVersionOfId(context.id);
  const livepatch = coverage(ecosystem, at, findings, {
    kernelSource: pkg.name,
    ...(range.fixed !== undefined && { fixedKernel: range.fixed }),
    ...(livepatchVersion !== undefined && { livepatchVersion }),
    ...(moduleRegex && { moduleRegex }),
  });
  return { affected, ...(livepatch && { livepatch }) };
}

function coverage(
  ecosystem: Ecosystem,
  at: (string | number)[],
  findings: Finding[],
  rest: Omit<LivepatchCoverage, 'release'>,
): LivepatchCoverage | undefined {
  if (ecosystem.distro !== 'Ubuntu' || ecosystem.codename === undefined) {
    const message = `'${ecosystem.raw}' is not an Ubuntu release hvpatch knows by name; its live patch coverage is skipped`;
    findings.push(warning([...at, 'package', 'ecosystem'], message));
    return undefined;
  }
  return { release: { codename: ecosystem.codename, version: ecosystem.release }, ...rest };
}
