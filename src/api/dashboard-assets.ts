import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The dashboard's static files. They are plain browser JavaScript, not compiled: from a
 * build (dist/api) they are found in the source tree the package ships (src/dashboard).
 */
function assetsDir(): string {
  const candidates = ['../dashboard/public/', '../../src/dashboard/public/'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (found === undefined) throw new Error(`dashboard assets not found in ${candidates.join(' or ')}`);
  return found;
}

/** Every asset read once, by name: nothing outside the folder can be asked for. */
export async function loadDashboardAssets(): Promise<Map<string, { type: string; body: Buffer }>> {
  const dir = assetsDir();
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const name of await readdir(dir)) {
    const type = TYPES[extname(name)];
    if (type !== undefined) assets.set(name, { type, body: await readFile(join(dir, name)) });
  }
  return assets;
}
