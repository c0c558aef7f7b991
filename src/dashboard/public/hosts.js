/* global document, requestAnimationFrame */
/**
 * The host table, virtualised twice over: only the rows in view exist in the page, and only
 * the pages of rows in view are fetched, so 5,000 hosts cost what 100 do, in the page and on
 * the wire. Rows are fixed-height, positioned absolutely inside a spacer of the full height.
 */
const ROW = 22;
const PAGE = 100;
/** Rows drawn above and below the view, so that a short scroll shows no gap. */
const MARGIN = 5;

/** `loadPage(offset, limit)` answers `{ total, hosts }` (the API's `/api/hosts`). */
export function hostTable(container, loadPage) {
  const spacer = container.querySelector('.spacer');
  let total = 0;
  /** Fetched pages by number; replaced as a whole by `refresh`. */
  let pages = new Map();
  const loading = new Set();

  const inView = () => {
    const first = Math.max(0, Math.floor(container.scrollTop / ROW) - MARGIN);
    const last = Math.min(total, Math.ceil((container.scrollTop + container.clientHeight) / ROW) + MARGIN);
    return { first, last };
  };
  const pagesOf = ({ first, last }) => {
    const numbers = [];
    for (let p = Math.floor(first / PAGE); p * PAGE < Math.max(last, 1); p++) numbers.push(p);
    return numbers;
  };
  const setTotal = (next) => {
    total = next;
    spacer.style.height = `${total * ROW}px`;
  };

  const draw = () => {
    const view = inView();
    for (const p of pagesOf(view)) if (!pages.has(p)) void fetchPage(p);
    for (const old of container.querySelectorAll('.host-row')) old.remove();
    const fragment = document.createDocumentFragment();
    for (let i = view.first; i < view.last; i++) {
      const h = pages.get(Math.floor(i / PAGE))?.[i % PAGE];
      if (h !== undefined) fragment.append(rowOf(h, i));
    }
    container.append(fragment);
  };

  // A page scrolled into view: fetched once, drawn when it comes; a failed one is asked again on the next scroll.
  const fetchPage = async (p) => {
    if (loading.has(p)) return;
    loading.add(p);
    const into = pages;
    try {
      const page = await loadPage(p * PAGE, PAGE);
      into.set(p, page.hosts);
      if (into === pages) {
        setTotal(page.total);
        draw();
      }
    } catch {
      // Left out of `pages`: the next draw asks again.
    } finally {
      loading.delete(p);
    }
  };

  container.addEventListener('scroll', () => requestAnimationFrame(draw), { passive: true });
  return {
    /** Fetches the rows in view afresh (the rows shown stay until they come) and draws them. */
    async refresh() {
      const wanted = pagesOf(inView());
      const fetched = await Promise.all(wanted.map((p) => loadPage(p * PAGE, PAGE)));
      pages = new Map(wanted.map((p, i) => [p, fetched[i].hosts]));
      setTotal(fetched[0].total);
      draw();
    },
  };
}

function rowOf(h, i) {
  const div = document.createElement('div');
  div.className = `host-row${h.compliant ? ' ok' : ''}`;
  div.style.top = `${i * ROW}px`;
  div.dataset.host = h.id;
  div.title = h.reasons.join('; ');
  for (const [text, cls] of [
    [h.id],
    [h.state],
    [h.guests],
    [h.severity ?? (h.compliant ? 'compliant' : '—'), h.severity],
    [h.needs],
    [h.notInEffect],
    [h.overdue, h.overdue > 0 ? 'critical' : undefined],
    [h.due?.slice(0, 10) ?? ''],
  ]) {
    const span = document.createElement('span');
    span.textContent = String(text);
    if (cls) span.className = cls;
    div.append(span);
  }
  return div;
}
