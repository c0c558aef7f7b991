import { BadInput, type InputProblem } from '../../core/errors.js';
import type { Service } from '../../core/model/index.js';
import type { WebhookEndpoints } from './endpoints.js';
import type { ServiceImpact } from './impact.js';
import type { OwnerTerms } from './schedule.js';

/**
 * Services the plan disrupts whose owners ask for notice before that, without consent: with
 * no endpoints to tell them on, nobody is told and nothing holds their hosts.
 */
export function noticeOnlyServices(
  impacts: readonly ServiceImpact[],
  services: readonly Service[],
  ownerConsent: readonly string[],
): Service[] {
  const disrupted = new Set(impacts.map((i) => i.service));
  return services.filter((s) => disrupted.has(s.id) && s.noticePeriod > 0 && !ownerConsent.includes(s.id));
}

/**
 * Joins what the plan disrupts with what the fleet says of each service and what the policy
 * asks (`approvals.ownerConsent`). A service the plan disrupts but the fleet does not
 * describe, or whose owner has no endpoint, has nobody to tell: that is bad input, found
 * before anything is sent.
 */
export function ownerTerms(
  impacts: readonly ServiceImpact[],
  services: readonly Service[],
  ownerConsent: readonly string[],
  endpoints: WebhookEndpoints,
): Map<string, OwnerTerms> {
  const byId = new Map(services.map((s) => [s.id, s]));
  const problems: InputProblem[] = [];
  const terms = new Map<string, OwnerTerms>();
  for (const { service } of impacts) {
    const known = byId.get(service);
    if (known === undefined) {
      problems.push({
        path: 'services',
        message: `the plan disrupts service ${service}, which the fleet does not describe`,
      });
      continue;
    }
    if (endpoints[known.owner] === undefined)
      problems.push({
        path: `endpoints.${known.owner}`,
        message: `no webhook endpoint for ${known.owner}, owner of ${service}`,
      });
    const needsConsent = ownerConsent.includes(service);
    terms.set(service, {
      service,
      owner: known.owner,
      contact: known.contact,
      noticePeriodMs: known.noticePeriod,
      needsConsent,
      waitsForNotice: !needsConsent && known.noticePeriod > 0,
    });
  }
  if (problems.length > 0) throw new BadInput(problems);
  return terms;
}
