import { z } from 'zod';
import { DISRUPTION_CLASSES } from './model.js';
import type { DisruptionRule } from './rules.js';

const RULE_CLASSES = DISRUPTION_CLASSES.filter((name) => name !== 'live-patch');

const DisruptionRuleInput = z.strictObject({
  match: z
    .string()
    .min(1)
    .regex(
      /^[a-z0-9*][a-z0-9.+*-]*$/,
      'must be a source package name, with * for any run of characters (like linux-* or ceph*)',
    ),
  // Not live-patch: that is decided from Livepatch notices, per host.
  class: z.enum(RULE_CLASSES as [DisruptionRule['class'], ...DisruptionRule['class'][]]),
  reason: z.string().min(1).max(500).optional(),
});

/**
 * `hvpatch needs --rules FILE`: rules tried before the built-in table, e.g.
 * `disruptionRules: [{ match: ceph*, class: daemon-restart, reason: … }]`.
 */
export const DisruptionRulesFile = z.strictObject({
  $schema: z.string().optional(),
  disruptionRules: z.array(DisruptionRuleInput).min(1, 'must list at least one rule'),
});

export type DisruptionRulesFile = z.infer<typeof DisruptionRulesFile>;

export function rulesOfFile(file: DisruptionRulesFile): DisruptionRule[] {
  return file.disruptionRules.map((rule) => ({
    match: rule.match,
    class: rule.class,
    reason: rule.reason ?? `a configured rule classes ${rule.match} as ${rule.class}`,
  }));
}
