import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdvisories } from './index.js';

const DATA = fileURLToPath(new URL('../../../data/advisories/osv', import.meta.url));
const real = (name: string) => readFileSync(`${DATA}/${name}`);

const MiB = 1024 * 1024;
const PYTHON_LISTING = `<!DOCTYPE HTML>
<html lang="en"><head><meta charset="utf-8"><title>Directory listing for /python/</title></head>
<body><h1>Directory listing for /python/</h1><hr><ul>
<li><a href="lsn/">lsn/</a></li>
<li><a href="README.txt">README.txt</a></li>
<li><a href="USN-6567-1.json">USN-6567-1.json</a></li>
</ul><hr></body></html>`;
const PYTHON_SUBDIR = `<html><body><ul>
<li><a href="LSN-0106-1.json">LSN-0106-1.json</a></li>
<li><a href="broken.json">broken.json</a></li>
</ul></body></html>`;
const NGINX_LISTING = `<html><head><title>Index of /nginx/</title></head><body><h1>Index of /nginx/</h1><hr><pre><a href="../">../</a>
<a href="?C=N&amp;O=D">Name</a>
<a href="USN-8119-1.json">USN-8119-1.json</a>                                    22-Apr-2026 07:37   14352
<a href="/elsewhere/USN-6859-1.json">USN-6859-1.json</a>                            22-Apr-2026 07:37    5162
</pre><hr></body></html>`;

const routes: Record<string, (res: ServerResponse) => void> = {
  '/mirror/index.json': (res) =>
    json(res, JSON.stringify(['USN-6859-1.json', 'nested/index.json', `${base()}/mirror/x.json`, 42])),
  '/mirror/USN-6859-1.json': (res) => json(res, real('USN-6859-1.json')),
  '/mirror/nested/index.json': (res) => json(res, JSON.stringify(['../LSN-0105-1.json'])),
  '/mirror/LSN-0105-1.json': (res) => json(res, real('LSN-0105-1.json')),
  '/mirror/x.json': (res) => json(res, '{"schema_version": "1.7.0", "id": "USN-1-1"'),
  '/python': (res) => res.writeHead(301, { location: '/python/' }).end(),
  '/python/': (res) => html(res, PYTHON_LISTING),
  '/python/lsn/': (res) => html(res, PYTHON_SUBDIR),
  '/python/USN-6567-1.json': (res) => json(res, real('USN-6567-1.json')),
  '/python/lsn/LSN-0106-1.json': (res) => json(res, real('LSN-0106-1.json')),
  '/python/lsn/broken.json': (res) => json(res, '{"id": '),
  '/nginx/': (res) => html(res, NGINX_LISTING),
  '/nginx/USN-8119-1.json': (res) => json(res, real('USN-8119-1.json')),
  '/announced': (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * MiB) });
    res.write('{');
  },
  '/endless': (res) => void stream(res),
  '/silent': () => {},
};

let server: Server;
let port: number;
let endlessBytesSent = 0;
const base = () => `http://127.0.0.1:${port}`;

function json(res: ServerResponse, body: string | Buffer) {
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
}
function html(res: ServerResponse, body: string) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
}
/** 50 MiB, chunked (no Content-Length), sent only as fast as the client reads it. */
async function stream(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(MiB, 0x20);
  for (let i = 0; i < 50 && !res.destroyed; i++) {
    endlessBytesSent += chunk.length;
    if (!res.write(chunk)) {
      await new Promise((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
  }
  res.end();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (route) route(res);
    else res.writeHead(404, 'Not Found').end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('loadAdvisories from an HTTP mirror', () => {
  it('follows a JSON index, nested indexes and absolute URLs in it', async () => {
    const { advisories, problems } = await loadAdvisories([`${base()}/mirror/index.json`]);
    expect(advisories.map((a) => [a.id, a.origin])).toEqual([
      ['LSN-0105-1', `${base()}/mirror/LSN-0105-1.json`],
      ['USN-6859-1', `${base()}/mirror/USN-6859-1.json`],
    ]);
    expect(problems.map(({ file, path, line }) => ({ file, path, line }))).toEqual([
      { file: `${base()}/mirror/index.json`, path: '[3]', line: undefined },
      { file: `${base()}/mirror/x.json`, path: undefined, line: 1 },
    ]);
    expect(problems[0]!.message).toBe('must be the file name or http(s) URL of an advisory, not 42');
  });

  it('walks a python http.server listing, its subdirectories and redirect', async () => {
    const { advisories, problems } = await loadAdvisories([`${base()}/python`]);
    expect(advisories.map((a) => [a.id, a.origin])).toEqual([
      ['LSN-0106-1', `${base()}/python/lsn/LSN-0106-1.json`],
      ['USN-6567-1', `${base()}/python/USN-6567-1.json`],
    ]);
    expect(advisories[1]!.affected.find((entry) => entry.ecosystem.release === '22.04')?.fixed).toBe(
      '1:6.2+dfsg-2ubuntu6.16',
    );
    expect(new Set(problems.map((problem) => problem.file))).toEqual(
      new Set([`${base()}/python/lsn/broken.json`]),
    );
    expect(problems[0]).toMatchObject({ line: 1, message: expect.stringMatching(/^invalid JSON: /) });
  });

  it('reads an nginx autoindex without following parent, sorting or foreign links', async () => {
    const { advisories, problems } = await loadAdvisories([`${base()}/nginx/`]);
    expect(problems).toEqual([]);
    expect(advisories.map((a) => a.id)).toEqual(['USN-8119-1']);
  });

  it('prefers the local copy or the mirror by modified time, whichever is newer', async () => {
    const { advisories, problems } = await loadAdvisories([
      `${base()}/nginx/USN-8119-1.json`,
      `${DATA}/USN-8119-1.json`,
    ]);
    expect(advisories).toHaveLength(1);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('with the same modified time');
  });

  it('refuses a body whose Content-Length is over the limit without reading it', async () => {
    const { problems } = await loadAdvisories([`${base()}/announced`]);
    expect(problems).toEqual([
      {
        file: `${base()}/announced`,
        message: 'announces 52428800 bytes (Content-Length), more than the 16 MiB limit; not read',
      },
    ]);
  });

  it('stops reading a body without Content-Length once it passes the limit', async () => {
    const { problems } = await loadAdvisories([`${base()}/endless`], { maxBytes: MiB });
    expect(problems).toEqual([
      { file: `${base()}/endless`, message: 'sent more than the 1 MiB limit; reading stopped there' },
    ]);
    // Socket buffers hold a few MiB; the point is that the 50 MiB were not all pulled in.
    expect(endlessBytesSent).toBeLessThan(30 * MiB);
  });

  it('names a URL that answers 404', async () => {
    const { problems } = await loadAdvisories([`${base()}/nowhere.json`]);
    expect(problems).toEqual([{ file: `${base()}/nowhere.json`, message: 'answered HTTP 404 Not Found' }]);
  });

  it('names a URL that does not answer in time', async () => {
    const { problems } = await loadAdvisories([`${base()}/silent`], { timeoutMs: 200 });
    expect(problems).toEqual([{ file: `${base()}/silent`, message: 'did not answer within 200 ms' }]);
  });

  it('names an unreachable mirror (closed port) and still reads the other sources', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${closedPort}/osv/`;
    const { advisories, problems } = await loadAdvisories([url, `${DATA}/USN-6567-2.json`]);
    expect(advisories.map((a) => a.id)).toEqual(['USN-6567-2']);
    expect(problems).toEqual([{ file: url, message: 'could not be fetched: ECONNREFUSED' }]);
  });
});
