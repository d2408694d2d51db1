/**
 * A latency histogram in microseconds with bounded memory (HDR-style
 * log-linear buckets: 1 µs resolution below 1 ms, then ~0.2% relative error),
 * so a long run costs a few kilobytes however many requests it records.
 */
const SUB_BITS = 10; // 1024 sub-buckets per power of two
const SUB_COUNT = 1 << SUB_BITS;
const HALF = SUB_COUNT >> 1;
const MAX_US = 2 ** 36; // ~19 hours; larger values are clamped

export class LatencyHistogram {
  readonly #counts: Float64Array;
  #total = 0;
  #min = Infinity;
  #max = 0;
  #sum = 0;

  constructor() {
    const buckets = Math.ceil(Math.log2(MAX_US)) - SUB_BITS + 1;
    this.#counts = new Float64Array(SUB_COUNT + buckets * HALF);
  }

  /** Records one value in microseconds (fractions are truncated). */
  record(us: number): void {
    const v = Math.min(Math.max(0, Math.floor(us)), MAX_US - 1);
    this.#counts[indexOf(v)]! += 1;
    this.#total += 1;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#total;
  }

  get meanUs(): number {
    return this.#total === 0 ? 0 : this.#sum / this.#total;
  }

  get minUs(): number {
    return this.#total === 0 ? 0 : this.#min;
  }

  get maxUs(): number {
    return this.#max;
  }

  /** The value at quantile q (0..1), as the upper edge of its bucket, capped at the maximum seen. */
  quantileUs(q: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(upperEdgeOf(i), this.#max);
    }
    return this.#max;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i]! += other.#counts[i]!;
    this.#total += other.#total;
    this.#sum += other.#sum;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }
}

function indexOf(v: number): number {
  if (v < SUB_COUNT) return v;
  const shift = Math.floor(Math.log2(v)) - SUB_BITS + 1; // >= 1
  const sub = Math.floor(v / 2 ** shift); // in [HALF, SUB_COUNT)
  return SUB_COUNT + (shift - 1) * HALF + (sub - HALF);
}

function upperEdgeOf(i: number): number {
  if (i < SUB_COUNT) return i;
  const j = i - SUB_COUNT;
  const shift = Math.floor(j / HALF) + 1;
  const sub = (j % HALF) + HALF;
  return (sub + 1) * 2 ** shift - 1;
}
