/**
 * Checks uploaded image data against its declared disk_format while it
 * streams, the way Glance does since OSSA-2024-001 (with
 * `require_image_format_match`): an image that QEMU would open as something
 * else, or that names host files (a qcow2 backing or data file, VMDK
 * extents), must never be stored.
 *
 * The inspector keeps only what the probes ask for: the first few hundred KiB
 * at most (a VMDK descriptor can reach 1 MiB), 64 KiB of VHDX metadata, and
 * the last 1.5 KiB for footers. It throws from `feed()` as soon as the answer
 * is certain, so a bad upload stops early.
 *
 * Rules (glance/location.py `set_data`):
 * - a detected format that fails its safety checks is refused, whatever was declared;
 * - two formats at once (e.g. a qcow2 header inside an ISO) is refused;
 * - declared == detected: accepted, virtual size from the header;
 * - declared raw: anything safe is accepted, virtual size = byte count;
 * - declared ami/ari/aki/ploop (no signature to check): the content must not be a known format;
 * - anything else is a mismatch.
 */
import { KumoError } from '../../lib/errors.js';
import { VhdProbe, allProbes } from './disk-format-probes.js';
import { TAIL_SIZE, type DetectedFormat, type Probe, type ProbeInput } from './format-probe.js';
import type { DiskFormat } from './models.js';

export type { DetectedFormat } from './format-probe.js';

export interface FormatInspection {
  /** What the content is. */
  format: DetectedFormat;
  /** Bytes the guest sees: from the format's header, or the byte count for raw content; undefined when unknown. */
  virtualSize?: number;
}

export interface FormatInspectorOptions {
  /** Glance's `require_image_format_match` (default true). When false a mismatch is accepted, unsafe content never is. */
  requireMatch?: boolean;
}

/** Glance answers InvalidImageData with 415 Unsupported Media Type (since 2025.1). */
const INVALID_IMAGE_DATA = 415;

/** Disk formats QEMU cannot recognise by content; Glance requires such content to look raw. */
const OPAQUE: ReadonlySet<string> = new Set(['ami', 'ari', 'aki', 'ploop']);

export function inspectFormat(declared: DiskFormat, options: FormatInspectorOptions = {}): FormatInspector {
  return new FormatInspector(declared, options.requireMatch ?? true);
}

export class FormatInspector {
  readonly #declared: DiskFormat;
  readonly #requireMatch: boolean;
  readonly #probes: Probe[] = allProbes();
  /** Probes still reading the head or waiting on a capture. */
  #pending: Probe[] = [...this.#probes];
  #head = Buffer.alloc(0);
  #headFilled = 0;
  #headLimit = 0;
  readonly #captures = new Map<string, Capture>();
  readonly #tail = Buffer.alloc(TAIL_SIZE);
  #tailLength = 0;
  #total = 0;
  #eof = false;
  #failure: KumoError | undefined;

  constructor(declared: DiskFormat, requireMatch: boolean) {
    this.#declared = declared;
    this.#requireMatch = requireMatch;
    this.#headLimit = this.#wanted();
  }

  /** Bytes fed so far. */
  get bytes(): number {
    return this.#total;
  }

  /** Presents the next chunk; throws a KumoError (415) once the content is known to be unacceptable. */
  feed(chunk: Buffer): void {
    if (this.#failure) throw this.#failure;
    if (this.#eof) throw new Error('FormatInspector.feed() after finish()');
    const start = this.#total;
    this.#total += chunk.length;
    this.#keepTail(chunk);
    if (this.#pending.length === 0) return;
    this.#run(chunk, start);
    this.#judge();
  }

  /** The end of the stream: the final verdict, or a KumoError (415). */
  finish(): FormatInspection {
    if (this.#failure) throw this.#failure;
    if (!this.#eof) {
      this.#eof = true;
      this.#run(Buffer.alloc(0), this.#total);
      const input = this.#input();
      for (const p of this.#probes) p.end(input);
      for (const p of this.#probes) p.matched ??= false;
    }
    return this.#verdict();
  }

  /** Offers a chunk to the head and captures, and steps probes until none can progress on it. */
  #run(chunk: Buffer, start: number): void {
    for (let round = 0; round < 16; round++) {
      this.#offerHead(chunk, start);
      for (const c of this.#captures.values()) c.offer(chunk, start);
      const captures = this.#captures.size;
      const limit = this.#headLimit;
      const input = this.#input();
      for (const p of this.#pending) {
        const before = p.need;
        if (this.#eof || p.need <= this.#headFilled) p.step(input);
        // Stepping again at the end of the stream lets a probe use what it has.
        if (this.#eof && p.need === before && p.need !== Infinity) p.need = Infinity;
      }
      this.#pending = this.#pending.filter((p) => p.need !== Infinity);
      this.#headLimit = Math.max(this.#headFilled, this.#wanted());
      const progress = this.#pending.some((p) => p.need !== 0 && p.need <= this.#headFilled);
      if (this.#headLimit <= limit && this.#captures.size === captures && !(progress && !this.#eof)) break;
    }
  }

  #wanted(): number {
    return this.#pending.reduce((m, p) => (Number.isFinite(p.need) ? Math.max(m, p.need) : m), 0);
  }

  #input(): ProbeInput {
    return {
      head: this.#head.subarray(0, this.#headFilled),
      total: this.#total,
      eof: this.#eof,
      tail: this.#tail.subarray(0, this.#tailLength),
      capture: (offset, length) => this.#capture(offset, length),
    };
  }

  #offerHead(chunk: Buffer, start: number): void {
    const from = this.#headFilled;
    const to = Math.min(this.#headLimit, start + chunk.length);
    if (from < start || from >= to) return;
    if (this.#head.length < to) {
      const grown = Buffer.alloc(Math.max(to, Math.min(this.#headLimit, this.#head.length * 2)));
      this.#head.copy(grown, 0, 0, this.#headFilled);
      this.#head = grown;
    }
    this.#headFilled += chunk.copy(this.#head, from, from - start, to - start);
  }

  #capture(offset: number, length: number): Buffer | undefined | null {
    if (offset + length <= this.#headFilled) return this.#head.subarray(offset, offset + length);
    const key = `${offset}+${length}`;
    let c = this.#captures.get(key);
    if (!c) {
      c = new Capture(offset, length);
      // What the head holds seeds it; the next offer of the current chunk tells whether the rest went by.
      if (offset < this.#headFilled) c.offer(this.#head.subarray(offset, this.#headFilled), offset);
      this.#captures.set(key, c);
    }
    if (c.missed) return null;
    return c.complete ? c.data : undefined;
  }

  #keepTail(chunk: Buffer): void {
    if (chunk.length >= TAIL_SIZE) {
      chunk.copy(this.#tail, 0, chunk.length - TAIL_SIZE);
      this.#tailLength = TAIL_SIZE;
      return;
    }
    const keep = Math.min(this.#tailLength, TAIL_SIZE - chunk.length);
    this.#tail.copyWithin(0, this.#tailLength - keep, this.#tailLength);
    chunk.copy(this.#tail, keep);
    this.#tailLength = keep + chunk.length;
  }

  /**
   * Matching probes, header formats first. A fixed VHD has its footer only at
   * the end, after any content, so it counts only when vhd was declared (and
   * never as a second format).
   */
  #matches(): { headers: Probe[]; all: Probe[] } {
    const all = this.#probes.filter((p) => p.matched === true);
    const headers = all.filter((p) => !(p instanceof VhdProbe && !p.atStart));
    const tailVhd = this.#declared === 'vhd' ? all.filter((p) => !headers.includes(p)) : [];
    return { headers, all: [...headers, ...tailVhd] };
  }

  /**
   * Throws as soon as the verdict is certain to be a refusal: at once for an
   * unsafe image, otherwise once every probe knows whether it matches (within
   * the first 36 KiB; a fixed VHD's footer waits for the end).
   */
  #judge(): void {
    const { headers, all } = this.#matches();
    const unsafe = all.find((p) => p.unsafe);
    if (unsafe) this.#fail(unsafeImage(`${unsafe.format}: ${unsafe.unsafe}`));
    if (this.#probes.some((p) => p.matched === undefined && !(p instanceof VhdProbe && p.needsEnd))) return;
    if (headers.length > 1) this.#fail(unsafeImage(`Multiple formats detected: ${headers.map((p) => p.format).join(', ')}`));
    if (!this.#requireMatch) return;
    const declared = this.#declared;
    const detected = all[0]?.format;
    if (detected && detected !== declared && declared !== 'raw') this.#fail(mismatch(declared, detected));
    const own = this.#probes.find((p) => p.format === declared);
    if (own?.matched === false) this.#fail(mismatch(declared, detected ?? 'raw'));
  }

  #verdict(): FormatInspection {
    this.#judge();
    const found = this.#matches().all[0];
    const format = found?.format ?? 'raw';
    const declared = this.#declared;
    if (format === 'raw' && (declared === 'raw' || OPAQUE.has(declared))) return { format, virtualSize: this.#total };
    if (format === declared) return { format, virtualSize: found?.virtualSize };
    // Glance lets raw carry any safe content, sized by its bytes.
    if (declared === 'raw') return { format, virtualSize: this.#total };
    if (this.#requireMatch) this.#fail(mismatch(declared, format));
    return { format };
  }

  #fail(error: KumoError): never {
    this.#failure = error;
    throw error;
  }
}

class Capture {
  readonly data: Buffer;
  filled = 0;
  missed = false;

  constructor(
    readonly offset: number,
    length: number,
  ) {
    this.data = Buffer.alloc(length);
  }

  get complete(): boolean {
    return this.filled === this.data.length;
  }

  offer(chunk: Buffer, start: number): void {
    if (this.missed || this.complete) return;
    const want = this.offset + this.filled;
    const end = start + chunk.length;
    if (want < start) {
      this.missed = true;
      return;
    }
    if (want >= end) return;
    this.filled += chunk.copy(this.data, this.filled, want - start, Math.min(end, this.offset + this.data.length) - start);
  }
}

const unsafeImage = (reason: string): KumoError =>
  new KumoError('image_unsafe', INVALID_IMAGE_DATA, `Image failed safety checks: ${reason}`);

const mismatch = (declared: string, detected: string): KumoError =>
  new KumoError('image_format_mismatch', INVALID_IMAGE_DATA, `Image disk_format ${declared} does not match stream data ${detected}`);
