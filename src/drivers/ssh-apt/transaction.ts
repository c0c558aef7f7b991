import { z } from 'zod';
import type { InstalledPackage } from '../../core/model/index.js';
import { isPackageName, versionProblem } from './debian.js';

/**
 * What one `installPackages` changed on a host, kept on the host itself so that a rollback
 * works from any controller and after a restart. It records every package apt changed, not
 * only the ones asked for: an upgrade drags its exact-version dependencies along
 * (qemu-system-x86 takes qemu-system-common), and undoing it must bring them back too.
 */
const Name = z.string().refine(isPackageName, 'is not a Debian package name');
const Version = z.string().refine((v) => versionProblem(v) === undefined, 'is not a Debian version');

export const Transaction = z.strictObject({
  version: z.literal(1),
  at: z.number(),
  requested: z.array(z.strictObject({ name: Name, version: Version })),
  changes: z.array(
    z.strictObject({
      name: Name,
      /** Absent when the transaction installed the package. */
      before: Version.optional(),
      /** Absent when the transaction removed it. */
      after: Version.optional(),
    }),
  ),
});
export type Transaction = z.infer<typeof Transaction>;

export function diffInstalled(
  before: readonly InstalledPackage[],
  after: readonly InstalledPackage[],
): Transaction['changes'] {
  const was = new Map(before.map((p) => [p.name, p.version]));
  const is = new Map(after.map((p) => [p.name, p.version]));
  const changes: Transaction['changes'] = [];
  for (const name of [...new Set([...was.keys(), ...is.keys()])].sort()) {
    const b = was.get(name);
    const a = is.get(name);
    if (b === a) continue;
    changes.push({ name, ...(b !== undefined && { before: b }), ...(a !== undefined && { after: a }) });
  }
  return changes;
}
