import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { BadInput } from '../core/errors.js';
import { describeIssues, locate, parseSource } from '../core/documents/index.js';

/**
 * Who may do what. Tokens are bearer secrets; the server keeps only their SHA-256, so a
 * leaked tokens file or a heap dump gives nobody a working token.
 */
export const ROLES = ['viewer', 'operator', 'approver', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/** What a route needs; `consent` is decided per service by the route itself. */
export type Access = 'public' | 'read' | 'operate' | 'approve' | 'consent';

const ALLOWED: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  read: ROLES,
  operate: ['operator'],
  approve: ['approver'],
  // Approvers may consent for any service; an owner only for their own (checked by the route).
  consent: ['approver', 'owner'],
};

export interface Principal {
  name: string;
  role: Role;
  /** The one service an owner speaks for. */
  service?: string;
}

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be the token’s SHA-256 as 64 lowercase hex digits');

export const TokenEntry = z
  .strictObject({
    name: z.string().min(1).max(100),
    role: z.enum(ROLES),
    service: z.string().min(1).optional(),
    sha256: Sha256,
  })
  .refine((t) => (t.role === 'owner') === (t.service !== undefined), {
    message: 'an owner token names exactly one service, and only an owner token names one',
    path: ['service'],
  });
export type TokenEntry = z.infer<typeof TokenEntry>;

export const TokensFile = z.strictObject({ tokens: z.array(TokenEntry).min(1) });

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Parses a tokens file (YAML or JSON); every problem names the file, line, column and field. */
export function parseTokensFile(text: string, file: string): TokenEntry[] {
  const { document, problems } = parseSource(text, file);
  if (!document) throw new BadInput(problems);
  const parsed = TokensFile.safeParse(document.value);
  if (!parsed.success)
    throw new BadInput(locate(document, describeIssues(parsed.error.issues, document.value)));
  const seen = new Map<string, number>();
  const duplicates = parsed.data.tokens.flatMap((t, i) => {
    const first = seen.get(t.sha256) ?? seen.get(`name:${t.name}`);
    seen.set(t.sha256, i).set(`name:${t.name}`, i);
    return first === undefined
      ? []
      : [
          {
            path: ['tokens', i] as (string | number)[],
            message: `repeats token ${first} (same name or secret)`,
          },
        ];
  });
  if (duplicates.length > 0) throw new BadInput(locate(document, duplicates));
  return parsed.data.tokens;
}

/** One token per role, for the demo: the secrets are returned once and kept nowhere. */
export function generateTokens(ownerService: string | undefined): {
  entries: TokenEntry[];
  secrets: Record<string, string>;
} {
  const entries: TokenEntry[] = [];
  const secrets: Record<string, string> = {};
  for (const role of ROLES) {
    if (role === 'owner' && ownerService === undefined) continue;
    const secret = `hvp_${randomBytes(24).toString('base64url')}`;
    const name = role === 'owner' ? `owner-${ownerService}` : role;
    entries.push({
      name,
      role,
      sha256: hashToken(secret),
      ...(role === 'owner' && { service: ownerService }),
    });
    secrets[name] = secret;
  }
  return { entries, secrets };
}

export interface Authenticator {
  /** The principal behind an `Authorization` header, or undefined when missing or unknown. */
  identify(header: string | undefined): Principal | undefined;
}

export function createAuthenticator(entries: readonly TokenEntry[]): Authenticator {
  const byHash = new Map(
    entries.map((t) => [t.sha256, { name: t.name, role: t.role, ...(t.service && { service: t.service }) }]),
  );
  return {
    identify(header) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
      return match ? byHash.get(hashToken(match[1]!)) : undefined;
    },
  };
}

export function allowed(principal: Principal, access: Exclude<Access, 'public'>): boolean {
  return ALLOWED[access].includes(principal.role);
}
