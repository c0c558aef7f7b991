import type { InputProblem } from '../../core/errors.js';

const LINK = /<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&#x27;': "'",
};

/**
 * The advisories an HTML directory listing (python3 -m http.server, nginx autoindex,
 * Apache) links to: `*.json` files and subdirectories, both strictly below the listing
 * itself, so that parent links and column-sorting links (`?C=N;O=D`) are not followed.
 */
export function listingLinks(html: string, listingUrl: string): string[] {
  const base = new URL(listingUrl);
  const directory = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1);
  const links = new Set<string>();
  for (const match of html.matchAll(LINK)) {
    const href = (match[1] ?? match[2] ?? match[3] ?? '').replace(
      /&(?:amp|lt|gt|quot|#39|#x27);/g,
      (entity) => ENTITIES[entity]!,
    );
    const url = URL.canParse(href, base.href) ? new URL(href, base) : undefined;
    if (!url || url.origin !== base.origin || url.search !== '') continue;
    url.hash = '';
    const below = url.pathname.startsWith(directory) && url.pathname !== directory;
    if (below && (url.pathname.endsWith('/') || /\.json$/i.test(url.pathname))) links.add(url.href);
  }
  return [...links].sort();
}

/** An `index.json` mirror index: a list of file names or URLs, relative to the index. */
export function indexEntries(
  entries: readonly unknown[],
  indexUrl: string,
): { urls: string[]; problems: InputProblem[] } {
  const urls: string[] = [];
  const problems: InputProblem[] = [];
  entries.forEach((entry, i) => {
    const url =
      typeof entry === 'string' && URL.canParse(entry, indexUrl) ? new URL(entry, indexUrl) : undefined;
    if (url && (url.protocol === 'http:' || url.protocol === 'https:')) urls.push(url.href);
    else
      problems.push({
        file: indexUrl,
        path: `[${i}]`,
        message: `must be the file name or http(s) URL of an advisory, not ${JSON.stringify(entry)}`,
      });
  });
  return { urls, problems };
}
