import { z } from 'zod';
import { parseDuration } from '../duration.js';

/** Identifiers are what operators already call things: host names, UUIDs, service names. */
export const Id = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/,
    'must start with a letter or digit and hold only letters, digits and . _ : @ / -',
  );

/** A Debian/Ubuntu package version as dpkg prints it (`1:6.2+dfsg-2ubuntu6.15`). */
export const PackageVersion = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'is longer than any real package version')
  .regex(/^(?:\d+:)?[0-9][A-Za-z0-9.+~:-]*$/, 'is not a Debian package version (epoch:upstream-revision)');

/**
 * A duration such as `30m`, `2h`, `3d`, `1h30m`, parsed to milliseconds. A plain number is
 * taken as milliseconds, so that a parsed model validates again unchanged (the API and plan
 * files carry parsed models).
 */
export const Duration = z
  .union([
    z.number().int('must be a whole number of milliseconds').min(0, 'must not be negative'),
    z
      .string()
      .refine((text) => parseDuration(text) !== undefined, {
        message: 'is not a duration: write it like 500ms, 30s, 30m, 2h, 3d or 1h30m',
      })
      .transform((text) => parseDuration(text)!),
  ])
  .meta({
    description: 'A duration like 500ms, 30s, 30m, 2h, 3d or 1h30m (a plain number is milliseconds)',
    examples: ['30m', '2h', '3d'],
  });

/** A percentage in 0–100. */
export const Percent = z.number().min(0, 'must be at least 0%').max(100, 'must be at most 100%');

/** `3` (guests) or `'25%'` (of the service's guests). */
export const DisruptionBudget = z.union([
  z.number().int('must be a whole number of guests').min(0, 'must not be negative'),
  z
    .string()
    .regex(/^\d+(?:\.\d+)?%$/, "must be a count like 2 or a percentage like '25%'")
    .refine((text) => Number(text.slice(0, -1)) <= 100, { message: 'cannot be more than 100%' }),
]);
export type DisruptionBudget = z.infer<typeof DisruptionBudget>;

/** The largest number of a service's `guestCount` guests that may be disrupted at once. */
export function budgetLimit(budget: DisruptionBudget, guestCount: number): number {
  if (typeof budget === 'number') return budget;
  return Math.floor((Number(budget.slice(0, -1)) / 100) * guestCount);
}
