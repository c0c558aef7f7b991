import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** A value and how often it should come up, relative to the others in its table. */
export type Weighted<T> = readonly (readonly [value: T, weight: number])[];

/** A weighted table prepared once, so drawing from it costs one number and a short scan. */
export interface WeightedTable<T> {
  readonly values: readonly T[];
  readonly cumulative: Float64Array;
}

export function weightedTable<T>(entries: Weighted<T>): WeightedTable<T> {
  const cumulative = new Float64Array(entries.length);
  let total = 0;
  entries.forEach(([, weight], i) => {
    total += weight;
    cumulative[i] = total;
  });
  for (let i = 0; i < cumulative.length; i++) cumulative[i]! /= total;
  return { values: entries.map(([value]) => value), cumulative };
}

/**
 * The generator's only source of randomness. xoroshiro128+ from pure-rand is fast enough
 * for hundreds of thousands of guests, and `split` hands each part of the fleet its own
 * stream, so drawing more numbers for, say, components never reshuffles the guests.
 */
export class Random {
  private constructor(private readonly gen: JumpableRandomGenerator) {}

  /**
   * xoroshiro128plus(seed) starts from a state that differs between neighbouring seeds in
   * a few bits only, and its first outputs echo the seed; mixing the seed through
   * splitmix32 first gives seeds 1 and 2 unrelated fleets.
   */
  static fromSeed(seed: number): Random {
    let state = seed >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      words.push((z ^ (z >>> 16)) | 0);
    }
    if (!words.some((word) => word !== 0)) words[0] = 1;
    return new Random(xoroshiro128plusFromState(words));
  }

  /** An independent stream: this one jumps 2^64 steps ahead, the child keeps the steps before. */
  split(): Random {
    const child = this.gen.clone();
    this.gen.jump();
    return new Random(child);
  }

  /** Uniform in [0, 1), with 32 bits of resolution, which is plenty for sampling shares. */
  float(): number {
    return (this.gen.next() >>> 0) / 4294967296;
  }

  /** Uniform integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.gen, from, to);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  weighted<T>(table: WeightedTable<T>): T {
    const u = this.float();
    const { cumulative, values } = table;
    for (let i = 0; i < cumulative.length - 1; i++) if (u < cumulative[i]!) return values[i]!;
    return values[values.length - 1]!;
  }

  /** Log-uniform in [low, high): as many values in 1–10 as in 10–100, as rates tend to be. */
  logUniform(low: number, high: number): number {
    return low * Math.pow(high / low, this.float());
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const swap = items[i]!;
      items[i] = items[j]!;
      items[j] = swap;
    }
    return items;
  }

  /** Lower-case hex digits, `count` of them. */
  hex(count: number): string {
    let text = '';
    while (text.length < count) text += word(this.gen.next());
    return text.slice(0, count);
  }

  /** A version-4 UUID, the form nova and libvirt give instances. */
  uuid(): string {
    const a = this.gen.next();
    const b = this.gen.next();
    const c = this.gen.next();
    const d = this.gen.next();
    const version = (b & 0xffff0fff) | 0x4000;
    const variant = (c & 0x3fffffff) | 0x80000000;
    const hb = word(version);
    const hc = word(variant);
    return `${word(a)}-${hb.slice(0, 4)}-${hb.slice(4)}-${hc.slice(0, 4)}-${hc.slice(4)}${word(d)}`;
  }
}

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Eight hex digits of a 32-bit value, by table: formatting ids is on the hot path. */
function word(value: number): string {
  return (
    BYTE_HEX[(value >>> 24) & 0xff]! +
    BYTE_HEX[(value >>> 16) & 0xff]! +
    BYTE_HEX[(value >>> 8) & 0xff]! +
    BYTE_HEX[value & 0xff]!
  );
}
