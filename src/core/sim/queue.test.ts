import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from './queue.js';

describe('EventQueue', () => {
  it('drops cancelled events unseen', () => {
    const queue = new EventQueue();
    const first = queue.push(1, 'first', () => undefined);
    queue.push(2, 'second', () => undefined);
    const third = queue.push(3, 'third', () => undefined);
    first.cancelled = true;
    third.cancelled = true;
    expect(queue.peekTime()).toBe(2);
    expect(queue.pop()?.kind).toBe('second');
    expect(queue.pop()).toBeUndefined();
  });

  it('pops by time, and events at the same time in the order they were pushed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        const queue = new EventQueue();
        times.forEach((time, i) => queue.push(time, String(i), () => undefined));
        const popped: { time: number; kind: string }[] = [];
        for (let e = queue.pop(); e; e = queue.pop()) popped.push({ time: e.time, kind: e.kind });
        const expected = times.map((time, i) => ({ time, kind: String(i) })).sort((a, b) => a.time - b.time);
        expect(popped).toEqual(expected);
        expect(queue.peekTime()).toBeUndefined();
      }),
    );
  });
});
