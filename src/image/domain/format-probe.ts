/**
 * The shape of a format probe: a small state machine fed the head of an
 * image stream (and its tail at the end) that decides whether the stream is
 * its format, whether it is safe to open, and its virtual size.
 */

/** Formats the inspector can tell apart; anything else is raw. */
export type DetectedFormat = 'raw' | 'qcow2' | 'qed' | 'vmdk' | 'vhd' | 'vhdx' | 'vdi' | 'iso' | 'luks';

/** The bytes a probe sees. `head` grows to the largest `need` of any pending probe. */
export interface ProbeInput {
  head: Buffer;
  /** Bytes fed so far. */
  total: number;
  /** The stream has ended: `head` is all there will be. */
  eof: boolean;
  /** The last bytes of the stream (up to TAIL_SIZE); meaningful at eof only. */
  tail: Buffer;
  /**
   * Bytes [offset, offset + length) of the stream: undefined until they have
   * all streamed by, null when they went by before anyone asked for them.
   */
  capture(offset: number, length: number): Buffer | undefined | null;
}

export const TAIL_SIZE = 1536;

export abstract class Probe {
  abstract readonly format: DetectedFormat;
  /** undefined while undecided. */
  matched: boolean | undefined;
  /** Why a matching image is unsafe to open. */
  unsafe: string | undefined;
  virtualSize: number | undefined;
  /** Head bytes wanted before the next step; 0: every chunk (waiting on a capture); Infinity: done. */
  need = 0;
  /** Waiting for the end of the stream (a footer) to finish its checks. */
  needsEnd = false;

  /** Called when `head` holds `need` bytes (or the stream ended). */
  abstract step(input: ProbeInput): void;
  /** Called once at the end of the stream, after the last step. */
  end(_input: ProbeInput): void {}

  protected decide(matched: boolean, unsafe?: string): void {
    this.matched = matched;
    if (matched && unsafe && !this.unsafe) this.unsafe = unsafe;
    this.need = Infinity;
  }
}

export const startsWith = (buf: Buffer, magic: string, at = 0): boolean =>
  buf.length >= at + magic.length && buf.toString('latin1', at, at + magic.length) === magic;

/** u64 as a number; sizes past 2^53 are nonsense for a disk and treated as a broken header. */
export function u64(buf: Buffer, at: number, littleEndian: boolean): number | undefined {
  return safeNumber(littleEndian ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at));
}

export const safeNumber = (v: bigint): number | undefined => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined);
