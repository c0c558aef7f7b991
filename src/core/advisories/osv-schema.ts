import { z } from 'zod';
import { PackageVersion } from '../model/common.js';

/**
 * The parts of the OSV schema (1.6 and 1.7) that Debian and Ubuntu records use. Objects are
 * loose: OSV adds fields over time, and an unknown field is no reason to drop an advisory.
 */

const AdvisoryId = z
  .string()
  .max(100, 'is longer than any advisory id')
  .regex(
    /^[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    'is not an advisory id such as USN-6567-1 or DSA-5678-1',
  );

const Timestamp = z.iso.datetime({
  offset: true,
  error: 'must be an RFC 3339 date and time such as 2024-01-08T17:46:08Z',
});

const Ids = z.array(z.string());

export const OsvRecord = z.looseObject({
  schema_version: z
    .string()
    .regex(/^1\.\d+(\.\d+)?$/, 'is not an OSV 1.x schema version')
    .optional(),
  id: AdvisoryId,
  summary: z.string().optional(),
  details: z.string().optional(),
  published: Timestamp.optional(),
  modified: Timestamp,
  withdrawn: Timestamp.optional(),
  aliases: Ids.optional(),
  related: Ids.optional(),
  upstream: Ids.optional(),
  // Entries are checked one by one so that one in an unknown ecosystem can be skipped.
  affected: z.array(z.unknown()),
});
export type OsvRecord = z.infer<typeof OsvRecord>;

/** Just enough of an `affected[]` entry to tell whether its ecosystem is one we read. */
export const OsvAffectedHead = z.looseObject({
  package: z.looseObject({ ecosystem: z.string().min(1), name: z.string().min(1) }),
});

const Event = z.looseObject({
  introduced: PackageVersion.optional(),
  fixed: PackageVersion.optional(),
  last_affected: z.string().optional(),
  limit: z.string().optional(),
});
export type OsvEvent = z.infer<typeof Event>;

const Range = z.looseObject({
  type: z.string(),
  events: z.array(Event).min(1),
});
export type OsvRange = z.infer<typeof Range>;

const Severity = z.looseObject({ type: z.string(), score: z.string() });

export const OsvCveSeverity = z.looseObject({
  id: z.string(),
  severity: z.array(Severity).optional(),
});
export type OsvCveSeverity = z.infer<typeof OsvCveSeverity>;

export const OsvAffected = z.looseObject({
  package: z.looseObject({
    ecosystem: z.string(),
    name: z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'is not a Debian package name'),
  }),
  ranges: z.array(Range).optional(),
  versions: z.array(PackageVersion).optional(),
  ecosystem_specific: z
    .looseObject({
      binaries: z
        .array(z.looseObject({ binary_name: z.string().min(1), binary_version: PackageVersion }))
        .optional(),
      module_name_regex: z.string().min(1).optional(),
    })
    .optional(),
  database_specific: z
    .looseObject({
      cves_map: z.looseObject({ cves: z.array(OsvCveSeverity) }).optional(),
    })
    .optional(),
});
export type OsvAffected = z.infer<typeof OsvAffected>;
