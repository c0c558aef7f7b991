/** A scheduled happening in the simulation; `fire` applies it to the world. */
export interface SimEvent {
  readonly time: number;
  /** Insertion order: breaks ties between events at the same time, so every run is the same. */
  readonly seq: number;
  readonly kind: string;
  readonly fire: () => void;
  /** False for timers of waiters outside the world, which change nothing when they fire. */
  readonly world: boolean;
  /** Cancelled events stay in the heap until they reach the top, where they are dropped unseen. */
  cancelled: boolean;
}

/** A binary min-heap of events ordered by (time, seq), with lazy cancellation. */
export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private nextSeq = 0;

  push(time: number, kind: string, fire: () => void, world = true): SimEvent {
    const heap = this.heap;
    const event: SimEvent = { time, seq: this.nextSeq++, kind, fire, world, cancelled: false };
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = event;
    return event;
  }

  /** Time of the next event that has not been cancelled. */
  peekTime(): number | undefined {
    while (this.heap[0]?.cancelled) this.removeTop();
    return this.heap[0]?.time;
  }

  /** The next event that has not been cancelled. */
  pop(): SimEvent | undefined {
    for (;;) {
      const top = this.removeTop();
      if (!top?.cancelled) return top;
    }
  }

  private removeTop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
