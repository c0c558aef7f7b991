/* global document, requestAnimationFrame */
/**
 * The host table, virtualised: only the rows in view exist in the page, so 5,000 hosts cost
 * what 20 do. Rows are fixed-height, positioned absolutely inside a spacer of the full height.
 */
const ROW = 22;

export function hostTable(container) {
  const spacer = container.querySelector('.spacer');
  let rows = [];
  const draw = () => {
    const first = Math.max(0, Math.floor(container.scrollTop / ROW) - 5);
    const last = Math.min(rows.length, Math.ceil((container.scrollTop + container.clientHeight) / ROW) + 5);
    for (const old of container.querySelectorAll('.host-row')) old.remove();
    const fragment = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const h = rows[i];
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
      fragment.append(div);
    }
    container.append(fragment);
  };
  container.addEventListener('scroll', () => requestAnimationFrame(draw), { passive: true });
  return {
    show(next) {
      rows = next;
      spacer.style.height = `${rows.length * ROW}px`;
      draw();
    },
  };
}
