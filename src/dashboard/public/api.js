/* Runs in the browser. */
/**
 * Talks to the API with the token in the Authorization header. The event stream is read
 * with fetch rather than EventSource, which cannot send headers: the token must never go
 * into a URL, where logs and browser history would keep it.
 */
const TOKEN_KEY = 'hvpatch-token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
};

export class ApiError extends Error {
  constructor(status, body) {
    const problems = body?.error?.problems?.map((p) => `${p.path ?? ''}: ${p.message}`).join('\n');
    super(`${status} ${body?.error?.message ?? ''}${problems ? `\n${problems}` : ''}`);
    this.status = status;
  }
}

export async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token.get()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/**
 * Follows a campaign's events from `after` on; reconnects from the last id seen when the
 * connection drops. Returns a function that stops following.
 */
export function follow(campaign, after, onEvent) {
  let last = after;
  let stopped = false;
  const controller = new AbortController();
  const connect = async () => {
    while (!stopped) {
      try {
        const response = await fetch(`/api/campaigns/${campaign}/events/stream?after=${last}`, {
          headers: { authorization: `Bearer ${token.get()}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (!response.ok) throw new ApiError(response.status, await response.json());
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split('\n')
              .filter((line) => line.startsWith('data: '))
              .map((line) => line.slice(6))
              .join('\n');
            if (!data) continue;
            const event = JSON.parse(data);
            last = event.id;
            onEvent(event);
          }
        }
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiError && error.status < 500) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  void connect();
  return () => {
    stopped = true;
    controller.abort();
  };
}
