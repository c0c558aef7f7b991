import { z } from 'zod';

/** Where an owner's notices go, and the secret they are signed with (never logged or recorded). */
export const WebhookEndpoint = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
  secret: z.string().min(16, 'must be at least 16 characters: it keys the HMAC signature'),
});

/** Endpoints by owner, named exactly as services' `owner` in the fleet ("Team Ads"). */
export const WebhookEndpoints = z.record(z.string().min(1, 'must name an owner'), WebhookEndpoint);

export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;
export type WebhookEndpoints = z.infer<typeof WebhookEndpoints>;

/** The address as it may be recorded: no credentials, no query (either may carry a token). */
export function safeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
