/**
 * VMDK: only single-file sparse images are safe to accept. A VMDK names its
 * data in a text descriptor ("extents"), which may point at any file on the
 * host that opens it, and may name a parent image. QEMU follows those names
 * for text descriptor files, and for a sparse file whose header says
 * capacity 0 (it then treats the embedded descriptor as a descriptor file).
 *
 * Sparse header (little-endian, 512 bytes): 0 'KDMV', 4 version, 12 capacity
 * (sectors), 28 descriptor offset (sectors), 36 descriptor size (sectors),
 * 56 grain directory offset (all ones: the real header is a footer at the end,
 * as in streamOptimized files).
 */
import { Probe, TAIL_SIZE, safeNumber, startsWith, type ProbeInput } from './format-probe.js';

const DESCRIPTOR_AT = 512;
/** QEMU's limit on descriptor size. */
const DESCRIPTOR_MAX = (1 << 20) - 1;
const GD_AT_END = 0xffffffffffffffffn;
const SAFE_TYPES = new Set(['monolithicsparse', 'streamoptimized']);
const ACCESS = new Set(['rw', 'rdonly', 'noaccess']);
/** QEMU probes text descriptors in its first 2 KiB. */
const TEXT_PROBE = 2048;

interface SparseHeader {
  version: number;
  capacity: bigint;
  descriptorSectors: bigint;
  descriptorLength: bigint;
  gdOffset: bigint;
}

function sparseHeader(buf: Buffer): SparseHeader {
  return {
    version: buf.readUInt32LE(4),
    capacity: buf.readBigUInt64LE(12),
    descriptorSectors: buf.readBigUInt64LE(28),
    descriptorLength: buf.readBigUInt64LE(36),
    gdOffset: buf.readBigUInt64LE(56),
  };
}

export class VmdkProbe extends Probe {
  readonly format = 'vmdk';
  override need = 4;
  #header: SparseHeader | undefined;
  #descriptorEnd = 0;

  step({ head, eof }: ProbeInput): void {
    if (this.#header) return this.#descriptor(head);
    if (startsWith(head, 'COWD')) return this.decide(true, 'VMDK version 3 (COWD) images are not supported');
    if (startsWith(head, 'KDMV')) {
      if (head.length < 64) return void (this.need = eof ? Infinity : 64);
      return this.#sparse(sparseHeader(head));
    }
    if (head.length < TEXT_PROBE && !eof) return void (this.need = TEXT_PROBE);
    if (isTextDescriptor(head.subarray(0, TEXT_PROBE))) {
      return this.decide(true, 'VMDK descriptor files reference other files; upload a monolithicSparse or streamOptimized VMDK');
    }
    this.decide(false);
  }

  override end({ tail, total }: ProbeInput): void {
    if (this.unsafe || !this.#header || this.#header.gdOffset !== GD_AT_END) return;
    const problem = total < DESCRIPTOR_AT + TAIL_SIZE ? 'VMDK stream is too short for its footer' : checkFooter(this.#header, tail);
    if (problem) this.unsafe = problem;
  }

  #sparse(header: SparseHeader): void {
    this.matched = true;
    if (header.version < 1 || header.version > 3) return this.decide(true, `Unsupported VMDK version ${header.version}`);
    if (header.capacity === 0n) return this.decide(true, 'VMDK sparse header of capacity 0 delegates to its descriptor');
    if (header.descriptorSectors * 512n !== BigInt(DESCRIPTOR_AT)) return this.decide(true, 'VMDK descriptor is not where it belongs');
    const sectors = header.descriptorLength > 2048n ? 2048 : Number(header.descriptorLength);
    const length = Math.min(sectors * 512, DESCRIPTOR_MAX);
    if (length === 0) return this.decide(true, 'VMDK has no descriptor');
    this.virtualSize = safeNumber(header.capacity * 512n);
    this.#header = header;
    this.#descriptorEnd = DESCRIPTOR_AT + length;
    this.needsEnd = header.gdOffset === GD_AT_END;
    this.need = this.#descriptorEnd;
  }

  #descriptor(head: Buffer): void {
    const raw = head.subarray(DESCRIPTOR_AT, this.#descriptorEnd);
    const nul = raw.indexOf(0);
    this.decide(true, descriptorProblem(raw.subarray(0, nul < 0 ? raw.length : nul)));
  }
}

/** Why an embedded descriptor is unacceptable, if it is. */
function descriptorProblem(bytes: Buffer): string | undefined {
  if (bytes.some((b) => b > 0x7e)) return 'VMDK descriptor is not ASCII text';
  const text = bytes.toString('latin1').toLowerCase();
  const type = /createtype\s*=\s*"([^"\n]{0,64})"/.exec(text)?.[1];
  if (!type || !SAFE_TYPES.has(type))
    return `Unsupported VMDK subformat ${type ?? '(none)'}: only monolithicSparse and streamOptimized are accepted`;
  let extents = 0;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('ddb')) continue;
    const [word] = line.split(/\s+/, 1) as [string];
    if (ACCESS.has(word)) {
      // "<access> <sectors> SPARSE "<file>"": the only extent of a single-file image is the file itself.
      if (line.includes('/') || line.includes('\\') || line.split(/\s+/)[2] !== 'sparse') return 'VMDK extents reference other files';
      extents++;
    } else if (/^[a-z0-9_.]+\s*=/.test(line)) {
      if (line.startsWith('parentfilenamehint')) return 'VMDK image has a parent (backing) file';
    } else return 'Invalid VMDK descriptor data';
  }
  return extents === 1 ? undefined : `VMDK descriptor has ${extents} extents; a single-file image has exactly one`;
}

/** streamOptimized: footer marker, footer (a copy of the header), end-of-stream marker, 512 bytes each. */
function checkFooter(header: SparseHeader, tail: Buffer): string | undefined {
  const marker = tail.subarray(tail.length - 1536, tail.length - 1024);
  const footer = tail.subarray(tail.length - 1024, tail.length - 512);
  const eos = tail.subarray(tail.length - 512);
  const zeros = (b: Buffer): boolean => b.every((x) => x === 0);
  if (marker.readUInt32LE(8) !== 0 || marker.readUInt32LE(12) !== 3 || !zeros(marker.subarray(16))) return 'VMDK footer marker is invalid';
  if (!startsWith(footer, 'KDMV')) return 'VMDK footer signature is missing';
  const f = sparseHeader(footer);
  if (f.version !== header.version) return 'VMDK header and footer versions differ';
  if (f.descriptorSectors !== header.descriptorSectors || f.descriptorLength !== header.descriptorLength) {
    return 'VMDK footer names a different descriptor than the header';
  }
  if (f.gdOffset === GD_AT_END) return 'VMDK footer points at another footer';
  if (f.capacity !== header.capacity) return 'VMDK header and footer capacities differ';
  if (!zeros(eos)) return 'VMDK end-of-stream marker is invalid';
  return undefined;
}

/**
 * QEMU's text descriptor probe: blank lines and '#' comments, then
 * "version=1|2|3". Also any text naming a createType, as Glance does.
 */
function isTextDescriptor(head: Buffer): boolean {
  const text = head.toString('latin1');
  if (/createtype\s*=/i.test(text.split('\0', 1)[0] ?? '')) return true;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (/^ *\r?$/.test(line)) continue;
    return /^version=[123]\r?$/.test(line);
  }
  return false;
}
