import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorForStatus, errorForTransport, serviceMessage } from './errors.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const request = 'GET compute /servers/no-such-guest';

describe('HTTP answers as the error taxonomy', () => {
  it.each([
    [400, 'BAD_INPUT'],
    [401, 'PERMISSION_DENIED'],
    [403, 'PERMISSION_DENIED'],
    [404, 'NOT_FOUND'],
    [409, 'CONFLICT'],
    [408, 'TIMED_OUT'],
    [504, 'TIMED_OUT'],
    [500, 'UNAVAILABLE'],
    [503, 'UNAVAILABLE'],
    [405, 'BAD_INPUT'],
  ])('HTTP %i is %s, naming the request', (status, code) => {
    const error = errorForStatus(request, status, '{}');
    expect(error.code).toBe(code);
    expect(error.message).toContain(request);
    expect(error.message).toContain(`HTTP ${status}`);
  });

  it('carries the service’s own message from nova, placement and keystone bodies', () => {
    expect(serviceMessage(fixture('error-nova-404.json'))).toBe('Instance no-such-guest could not be found.');
    expect(serviceMessage(fixture('error-nova-409.json'))).toMatch(
      /^Cannot 'start' instance .* vm_state active$/,
    );
    expect(serviceMessage(fixture('error-keystone-401.json'))).toBe(
      'The request you have made requires authentication.',
    );
    expect(serviceMessage(fixture('error-placement-404.json'))).toMatch(/No resource provider with uuid/);
    expect(serviceMessage('<html><body><h1>502 Bad Gateway</h1></body></html>')).toBe('502 Bad Gateway');
  });

  it('maps a timeout to TimedOut and a refused connection to Unavailable', () => {
    const timeout = errorForTransport(request, new DOMException('late', 'TimeoutError'), 5000);
    expect(timeout).toMatchObject({ code: 'TIMED_OUT', retryable: true });
    expect(timeout.message).toBe(`${request}: no answer within 5000 ms`);
    const refused = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    const unavailable = errorForTransport(request, refused, 5000);
    expect(unavailable).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(unavailable.message).toBe(`${request}: cannot reach the service (ECONNREFUSED)`);
  });
});
