/**
 * Streams image data into an open file while computing md5 and sha512, with
 * flat memory whatever the image size. Chunks are gathered into a few 1 MiB
 * shared slots; each full slot is hashed (md5 here, sha512 in a worker thread
 * when one is given) and written at its offset while the next slot fills, so
 * hashing, the worker and the disk overlap. When every slot is busy the
 * source is not read: that is the backpressure.
 */
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { KumoError } from '../../lib/errors.js';
import type { HashSession, HashWorker } from './hash-worker.js';
import type { ChunkObserver } from './image-data-store.js';

const SLOT_SIZE = 1 << 20;
const MAX_SLOTS = 4;
/** Flush dirty pages every this many bytes so the final fsync does not wait for the whole image. */
const SYNC_EVERY = 64 << 20;

export interface HashingWriteOptions {
  maxSize: number;
  expectedSize?: number;
  observe?: ChunkObserver;
  /** Computes sha512 beside the main thread; used only once the data outgrows one slot. */
  sha512Worker?: HashWorker;
}

export interface HashedWrite {
  size: number;
  md5: string;
  sha512: string;
}

interface Slot {
  buffer: SharedArrayBuffer;
  view: Buffer;
  /** Readers (disk write, worker) still using the slot. */
  busy: number;
}

export const imageTooLarge = (maxSize: number): KumoError =>
  new KumoError('image_too_large', 413, `Image exceeds the storage quota: the image data exceeds the allowed maximum of ${maxSize} bytes.`);

const sizeMismatch = (expected: number, received?: number): KumoError =>
  new KumoError(
    'image_size_mismatch',
    400,
    received === undefined
      ? `Image data is longer than the expected ${expected} bytes.`
      : `Image data of ${received} bytes is shorter than the expected ${expected} bytes.`,
  );

/** The source ended with an error: typically the client went away mid-upload. */
export class SourceStreamError extends KumoError {
  constructor(readonly reason: unknown) {
    super('image_data_incomplete', 400, `The image data stream failed: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

/**
 * Writes `source` to `fh` from offset 0. Rejects on the first failure (size
 * limits, observer veto, source error, write error) after every started write
 * has settled, so the caller may close and remove the file at once. `source`
 * is never destroyed: on a veto the caller decides whether to drain it.
 */
export async function writeHashed(source: Readable, fh: FileHandle, opts: HashingWriteOptions): Promise<HashedWrite> {
  return new HashingWrite(fh, opts).run(source);
}

class HashingWrite {
  readonly #fh: FileHandle;
  readonly #opts: HashingWriteOptions;
  readonly #md5: Hash = createHash('md5');
  #sha512: Hash | undefined;
  #session: HashSession | undefined;
  readonly #slots: Slot[] = [];
  readonly #free: Slot[] = [];
  #current: Slot | undefined;
  #fill = 0;
  #received = 0;
  #flushed = 0;
  #syncedAt = 0;
  #writes: Promise<void> = Promise.resolve();
  #sync: Promise<void> | undefined;
  #failure: unknown;
  #wake: (() => void) | undefined;

  constructor(fh: FileHandle, opts: HashingWriteOptions) {
    this.#fh = fh;
    this.#opts = opts;
  }

  async run(source: Readable): Promise<HashedWrite> {
    const chunks = source.iterator({ destroyOnReturn: false });
    let done = false;
    try {
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = await chunks.next();
        } catch (e) {
          done = true;
          throw new SourceStreamError(e);
        }
        if (next.done) break;
        await this.#accept(toBuffer(next.value));
      }
      done = true;
      const { expectedSize } = this.#opts;
      if (expectedSize !== undefined && this.#received !== expectedSize) throw sizeMismatch(expectedSize, this.#received);
      if (this.#fill > 0) this.#flush(true);
      await this.#writes;
      await this.#sync;
      this.#throwIfFailed();
      const sha512 = this.#session ? await this.#session.digest() : (this.#sha512 ?? createHash('sha512')).digest('hex');
      return { size: this.#received, md5: this.#md5.digest('hex'), sha512 };
    } catch (e) {
      this.#failure ??= e;
      this.#session?.abandon();
      this.#wake?.();
      await this.#writes;
      await this.#sync;
      throw this.#failure;
    } finally {
      if (!done) await chunks.return?.();
    }
  }

  async #accept(chunk: Buffer): Promise<void> {
    this.#throwIfFailed();
    const { maxSize, expectedSize, observe } = this.#opts;
    this.#received += chunk.length;
    if (this.#received > maxSize) throw imageTooLarge(maxSize);
    if (expectedSize !== undefined && this.#received > expectedSize) throw sizeMismatch(expectedSize);
    observe?.(chunk);
    let offset = 0;
    while (offset < chunk.length) {
      const slot = this.#current ?? (await this.#takeSlot());
      const n = chunk.copy(slot.view, this.#fill, offset);
      this.#fill += n;
      offset += n;
      if (this.#fill === SLOT_SIZE) this.#flush(false);
    }
  }

  async #takeSlot(): Promise<Slot> {
    for (;;) {
      this.#throwIfFailed();
      const slot = this.#free.pop() ?? this.#newSlot();
      if (slot) return (this.#current = slot);
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  #newSlot(): Slot | undefined {
    if (this.#slots.length >= MAX_SLOTS) return undefined;
    const buffer = new SharedArrayBuffer(SLOT_SIZE);
    const slot = { buffer, view: Buffer.from(buffer), busy: 0 };
    this.#slots.push(slot);
    return slot;
  }

  #flush(last: boolean): void {
    const slot = this.#current as Slot;
    const length = this.#fill;
    const data = slot.view.subarray(0, length);
    this.#current = undefined;
    this.#fill = 0;
    this.#md5.update(data);
    if (!this.#session && !this.#sha512) {
      // The worker pays off only when more than one slot of data flows.
      const worker = this.#opts.sha512Worker;
      if (worker && !last) this.#session = worker.begin({ consumed: (i) => this.#release(this.#slots[i]), failed: (e) => this.#fail(e) });
      else this.#sha512 = createHash('sha512');
    }
    if (this.#session) {
      slot.busy++;
      this.#session.update(slot.buffer, length, this.#slots.indexOf(slot));
    } else this.#sha512?.update(data);
    slot.busy++;
    const position = this.#flushed;
    this.#flushed += length;
    this.#writes = this.#writes
      .then(() => (this.#failure === undefined ? writeAll(this.#fh, data, position) : undefined))
      .then(
        () => this.#release(slot),
        (e: unknown) => this.#fail(e),
      );
    if (this.#flushed - this.#syncedAt >= SYNC_EVERY && !this.#sync) {
      this.#syncedAt = this.#flushed;
      this.#sync = this.#writes
        .then(() => (this.#failure === undefined ? this.#fh.datasync() : undefined))
        .catch((e: unknown) => this.#fail(e))
        .finally(() => (this.#sync = undefined));
    }
  }

  #release(slot: Slot | undefined): void {
    if (!slot || --slot.busy > 0) return;
    this.#free.push(slot);
    this.#wake?.();
  }

  #fail(e: unknown): void {
    this.#failure ??= e;
    this.#wake?.();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}

async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError(`image data chunks must be bytes, got ${typeof chunk}`);
}
