/**
 * Owners: notices to the owners of the services a campaign disrupts (webhooks, signed,
 * retried, durable), their consent or refusal, and what happens at the deadline — the
 * maintenance-session idea of OpenStack Fenix.
 */
export { createOwnerNotifier, type OwnerNotifier, type OwnerNotifierOptions } from './runner.js';
export { waitForOwnerGates } from './gates.js';
export { createOwnerReplies, type OwnerReplies, type OwnerReply } from './replies.js';
export {
  DEFAULT_OWNERS_POLICY,
  serviceApprovalKey,
  type OwnersDecision,
  type OwnersPolicy,
} from './decide.js';
export { WebhookEndpoint, WebhookEndpoints } from './endpoints.js';
export { noticeOnlyServices } from './terms.js';
export { serviceImpacts, type Disruption, type GuestImpact, type ServiceImpact } from './impact.js';
export type { NoticeBody } from './notice.js';
export { NOTICE_KINDS, OWNER_EVENTS, type NoticeKind } from './ledger.js';
export {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
  verifySignature,
  type Verification,
} from './signature.js';
