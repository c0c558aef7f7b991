/* global document, devicePixelRatio, requestAnimationFrame, window */
/**
 * The plan as a timeline on a canvas: hosts as rows, actions as bars coloured by kind and
 * shaded by state, waves and maintenance windows as bands. Only the rows in view are drawn,
 * so a 5,000-host plan with 100,000 actions redraws in milliseconds.
 */
const ROW = 14;
const LABEL = 150;
const AXIS = 18;

export const KIND_COLOURS = {
  disable: '#8c959f',
  migrate: '#0969da',
  install: '#8250df',
  livepatch: '#1a7f37',
  'restart-daemon': '#bf8700',
  reboot: '#cf222e',
  verify: '#57606a',
  enable: '#6e7781',
  'stop-guest': '#fa4549',
  'start-guest': '#2da44e',
};

export function timelineView(container, legend) {
  const canvas = container.querySelector('canvas');
  const spacer = container.querySelector('.spacer');
  const context = canvas.getContext('2d');
  let data;
  let byRow = [];
  let scheduled = false;

  for (const [kind, colour] of Object.entries(KIND_COLOURS)) {
    const item = document.createElement('span');
    item.innerHTML = `<i style="background:${colour}"></i>${kind}`;
    legend.append(item);
  }
  const states = document.createElement('span');
  states.textContent = '· pale: pending · outlined: running · solid: done · black: failed';
  legend.append(states);

  const draw = () => {
    scheduled = false;
    if (!data) return;
    const width = container.clientWidth;
    const height = container.clientHeight;
    const scale = devicePixelRatio || 1;
    if (canvas.width !== width * scale || canvas.height !== height * scale) {
      canvas.width = width * scale;
      canvas.height = height * scale;
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    context.setTransform(scale, 0, 0, scale, 0, 0);
    context.clearRect(0, 0, width, height);
    const span = Math.max(1, data.makespanS);
    const x = (s) => LABEL + ((width - LABEL - 4) * s) / span;
    const first = Math.floor(container.scrollTop / ROW);
    const last = Math.min(data.hosts.length, first + Math.ceil((height - AXIS) / ROW) + 1);
    const y = (row) => AXIS + (row - first) * ROW;

    context.fillStyle = 'rgba(26,127,55,0.07)';
    for (const w of data.windows) context.fillRect(x(w.startS), AXIS, x(w.endS) - x(w.startS), height);
    // Labels only where there is room for them: a big fleet has hundreds of waves.
    let labelEnd = 0;
    data.waves.forEach((w, i) => {
      context.fillStyle = i % 2 ? 'rgba(9,105,218,0.05)' : 'rgba(130,80,223,0.06)';
      context.fillRect(x(w.startS), 0, Math.max(1, x(w.endS) - x(w.startS)), height);
      if (x(w.startS) < labelEnd) return;
      const label = `${w.stage} ${w.wave}`;
      context.fillStyle = '#57606a';
      context.font = '10px system-ui';
      context.fillText(label, x(w.startS) + 2, 11);
      labelEnd = x(w.startS) + context.measureText(label).width + 8;
    });
    context.font = '11px ui-monospace, monospace';
    for (let row = first; row < last; row++) {
      context.fillStyle = row % 2 ? '#fff' : '#f6f8fa';
      context.fillRect(0, y(row), LABEL - 4, ROW);
      context.fillStyle = '#1d2329';
      context.fillText(data.hosts[row], 4, y(row) + ROW - 3);
      for (const i of byRow[row] ?? []) {
        const at = i * 5;
        const left = x(data.bars[at + 1]);
        const w = Math.max(1.5, x(data.bars[at + 2]) - left);
        const colour = KIND_COLOURS[data.kinds[data.bars[at + 3]]] ?? '#999';
        const state = data.states[data.bars[at + 4]];
        if (state === 'failed' || state === 'unknown') {
          context.fillStyle = '#000';
          context.fillRect(left, y(row) + 2, w, ROW - 4);
        } else if (state === 'started') {
          context.strokeStyle = colour;
          context.lineWidth = 2;
          context.strokeRect(left, y(row) + 2, w, ROW - 4);
        } else {
          context.globalAlpha = state === 'succeeded' ? 1 : state === 'skipped' ? 0.15 : 0.35;
          context.fillStyle = colour;
          context.fillRect(left, y(row) + 2, w, ROW - 4);
          context.globalAlpha = 1;
        }
      }
    }
    context.fillStyle = '#fff';
    context.fillRect(0, 0, LABEL - 4, AXIS);
  };
  const redraw = () => {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(draw);
    }
  };
  container.addEventListener('scroll', redraw, { passive: true });
  window.addEventListener('resize', redraw);

  return {
    /** Draws at once (not on the next frame), so the caller knows the first render is done. */
    show(next) {
      data = next;
      byRow = [];
      for (let i = 0; i * 5 < data.bars.length; i++) (byRow[data.bars[i * 5]] ??= []).push(i);
      spacer.style.height = `${AXIS + data.hosts.length * ROW}px`;
      draw();
    },
    /** A new state for the action `seq` (an index into the bars). */
    setState(seq, state) {
      if (!data || seq * 5 >= data.bars.length) return;
      const index = data.states.indexOf(state);
      if (index >= 0) data.bars[seq * 5 + 4] = index;
      redraw();
    },
    counts() {
      const counts = {};
      if (data)
        for (let i = 4; i < data.bars.length; i += 5)
          counts[data.states[data.bars[i]]] = (counts[data.states[data.bars[i]]] ?? 0) + 1;
      return counts;
    },
  };
}
