/**
 * A Keystone v3 session: password auth scoped to a project or an application credential
 * (scoped to its own project by Keystone), the service catalog, and
 * every request sent with a token and a timeout. A 401 means the token expired or was
 * revoked: authenticate once more and resend, as keystoneauth does.
 */
import { PermissionDenied, Unavailable } from '../../core/errors.js';
import { errorForStatus, errorForTransport } from './errors.js';
import { TokenResponse, type CatalogEntry } from './schemas.js';

export interface PasswordAuth {
  /** Keystone's v3 endpoint, e.g. `http://keystone:5000/v3`. */
  url: string;
  username: string;
  password: string;
  project: string;
  /** Domain name of both the user and the project (usually `Default`). */
  domain: string;
}

/** What `openstack application credential create` prints: an id and a secret shown once. */
export interface ApplicationCredentialAuth {
  url: string;
  applicationCredentialId: string;
  applicationCredentialSecret: string;
}

export type KeystoneAuth = PasswordAuth | ApplicationCredentialAuth;

export const isApplicationCredential = (auth: KeystoneAuth): auth is ApplicationCredentialAuth =>
  'applicationCredentialId' in auth;

/** Who is authenticating, for messages: never the password or the secret. */
export function describeAuth(auth: KeystoneAuth): string {
  return isApplicationCredential(auth)
    ? `application credential '${auth.applicationCredentialId}'`
    : `user '${auth.username}', project '${auth.project}'`;
}

function authBody(auth: KeystoneAuth): unknown {
  if (isApplicationCredential(auth)) {
    return {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: {
            id: auth.applicationCredentialId,
            secret: auth.applicationCredentialSecret,
          },
        },
      },
    };
  }
  const domain = { name: auth.domain };
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: auth.username, domain, password: auth.password } },
      },
      scope: { project: { name: auth.project, domain } },
    },
  };
}

export type ServiceType = 'compute' | 'placement';

export interface SessionOptions {
  auth: KeystoneAuth;
  fetch: typeof fetch;
  timeoutMs: number;
  /** Catalog interface to use; operators' scripts outside the cloud use `public`. */
  interface: 'public' | 'internal' | 'admin';
  region?: string;
  /** Header sent with every request to a service: the microversion it is written against. */
  versionHeaders: Record<ServiceType, Record<string, string>>;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface Reply {
  status: number;
  body: unknown;
}

export interface Session {
  /** JSON in, JSON out; throws the taxonomy's errors for anything but 2xx. */
  request(service: ServiceType, method: string, path: string, body?: unknown): Promise<Reply>;
}

interface Token {
  value: string;
  endpoints: Map<ServiceType, string>;
}

export function createSession(options: SessionOptions): Session {
  let token: Promise<Token> | undefined;
  const authUrl = options.auth.url.replace(/\/+$/, '');

  const authenticate = async (): Promise<Token> => {
    const request = `POST identity ${authUrl}/auth/tokens (${describeAuth(options.auth)})`;
    const { response, text } = await send(
      request,
      `${authUrl}/auth/tokens`,
      'POST',
      {},
      authBody(options.auth),
    );
    if (!response.ok) throw errorForStatus(request, response.status, text);
    const value = response.headers.get('x-subject-token');
    if (!value) throw new PermissionDenied(`${request}: keystone answered without a token`);
    const parsed = TokenResponse.safeParse(parseJson(request, text));
    if (!parsed.success) throw new Unavailable(`${request}: unexpected answer: ${parsed.error.message}`);
    options.log('keystone: authenticated', { as: describeAuth(options.auth) });
    return { value, endpoints: pickEndpoints(parsed.data.token.catalog ?? [], options, request) };
  };

  const send = async (
    request: string,
    url: string,
    method: string,
    headers: Record<string, string>,
    body: unknown,
  ): Promise<{ response: Response; text: string }> => {
    try {
      const response = await options.fetch(url, {
        method,
        headers: {
          Accept: 'application/json',
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
          ...headers,
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // Inside the try: a connection can also drop or time out while the body arrives.
      return { response, text: await response.text() };
    } catch (error) {
      throw errorForTransport(request, error, options.timeoutMs);
    }
  };

  const currentToken = () => {
    token ??= authenticate().catch((error: unknown) => {
      token = undefined;
      throw error;
    });
    return token;
  };

  return {
    async request(service, method, path, body) {
      const request = `${method} ${service} ${path}`;
      for (let attempt = 0; ; attempt++) {
        const held = currentToken();
        const { value, endpoints } = await held;
        // Pagination links are absolute; everything else is relative to the catalog's endpoint.
        const url = /^https?:\/\//.test(path) ? path : `${endpoints.get(service)}${path}`;
        const { response, text } = await send(
          request,
          url,
          method,
          { 'X-Auth-Token': value, ...options.versionHeaders[service] },
          body,
        );
        if (response.status === 401 && attempt === 0) {
          if (token === held) token = undefined;
          continue;
        }
        if (!response.ok) throw errorForStatus(request, response.status, text);
        return { status: response.status, body: text === '' ? undefined : parseJson(request, text) };
      }
    },
  };
}

function parseJson(request: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Unavailable(`${request}: the answer is not JSON: ${text.slice(0, 200)}`, { cause: error });
  }
}

function pickEndpoints(
  catalog: readonly CatalogEntry[],
  options: Pick<SessionOptions, 'interface' | 'region'>,
  request: string,
): Map<ServiceType, string> {
  const endpoints = new Map<ServiceType, string>();
  for (const type of ['compute', 'placement'] as const) {
    const entry = catalog.find((c) => c.type === type);
    const endpoint = entry?.endpoints.find(
      (e) =>
        e.interface === options.interface &&
        (options.region === undefined || e.region_id === options.region || e.region === options.region),
    );
    if (!endpoint) {
      throw new Unavailable(
        `${request}: the service catalog has no ${options.interface} '${type}' endpoint${options.region ? ` in region ${options.region}` : ''}`,
      );
    }
    endpoints.set(type, endpoint.url.replace(/\/+$/, ''));
  }
  return endpoints;
}
