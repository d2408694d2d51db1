import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { KumoError } from '../../lib/errors.js';
import { inspectFormat, type FormatInspection, type FormatInspectorOptions } from './format-inspector.js';
import type { DiskFormat } from './models.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Ways to cut a stream: headers byte by byte, then odd and large chunks. */
const SPLITS: Record<string, (at: number) => number> = {
  whole: () => Infinity,
  'bytewise head': (at) => (at < 4 * KiB ? 1 : at < 40 * KiB ? 509 : 64 * KiB),
  'odd chunks': () => 4093,
  '64 KiB chunks': () => 64 * KiB,
};

interface Outcome {
  result?: FormatInspection;
  error?: KumoError;
  /** Bytes fed before the chunk that was refused. */
  at: number;
}

function inspect(declared: DiskFormat, data: Buffer, split: (at: number) => number, options?: FormatInspectorOptions): Outcome {
  const inspector = inspectFormat(declared, options);
  let at = 0;
  try {
    while (at < data.length) {
      const n = Math.min(split(at), data.length - at);
      inspector.feed(data.subarray(at, at + n));
      at += n;
    }
    return { result: inspector.finish(), at };
  } catch (e) {
    if (!(e instanceof KumoError)) throw e;
    return { error: e, at };
  }
}

/** The same outcome whatever the chunking. */
function check(declared: DiskFormat, data: Buffer, options?: FormatInspectorOptions): Outcome {
  const outcomes = Object.entries(SPLITS).map(([name, split]) => ({ name, ...inspect(declared, data, split, options) }));
  const [first] = outcomes as [Outcome & { name: string }];
  for (const o of outcomes) {
    assert.deepEqual(o.result, first.result, `${o.name} vs ${first.name}`);
    assert.equal(o.error?.message, first.error?.message, `${o.name} vs ${first.name}`);
  }
  return first;
}

function accepted(declared: DiskFormat, data: Buffer, expected: FormatInspection, options?: FormatInspectorOptions): void {
  const { result, error } = check(declared, data, options);
  assert.equal(error, undefined, error?.message);
  assert.deepEqual(result, expected);
}

/** Refused with 415 and `code`; `by` bounds how far the stream got (early refusal). */
function refused(declared: DiskFormat, data: Buffer, code: string, pattern: RegExp, by = Infinity): void {
  const { error } = check(declared, data);
  assert.ok(error, 'expected a refusal');
  assert.equal(error.code, code, error.message);
  assert.equal(error.status, 415);
  assert.match(error.message, pattern);
  const { at } = inspect(declared, data, SPLITS['bytewise head'] as (at: number) => number);
  assert.ok(at < by, `refused only after ${at} bytes (bound ${by})`);
}

function qcow2({ version = 3, backing = 0n, size = 10n * BigInt(MiB), incompatible = 0n, length = 256 * KiB } = {}): Buffer {
  const b = Buffer.alloc(length);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(version, 4);
  b.writeBigUInt64BE(backing, 8);
  b.writeUInt32BE(16, 20);
  b.writeBigUInt64BE(size, 24);
  b.writeBigUInt64BE(incompatible, 72);
  b.writeUInt32BE(104, 100);
  return b;
}

function vmdk({
  capacity = 2048n,
  descriptor = 'createType="monolithicSparse"\nRW 2048 SPARSE "disk.vmdk"\n',
  gdAtEnd = false,
  length = 128 * KiB,
} = {}): Buffer {
  const b = Buffer.alloc(length);
  b.write('KDMV', 0, 'latin1');
  b.writeUInt32LE(1, 4);
  b.writeBigUInt64LE(capacity, 12);
  b.writeBigUInt64LE(128n, 20);
  b.writeBigUInt64LE(1n, 28);
  b.writeBigUInt64LE(20n, 36);
  b.writeBigUInt64LE(gdAtEnd ? 0xffffffffffffffffn : 21n, 56);
  b.write(
    `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n${descriptor}\n# The Disk Data Base\n#DDB\n\nddb.adapterType = "ide"\n`,
    512,
    'latin1',
  );
  return b;
}

/** streamOptimized tail: footer marker, a copy of the header with the real grain directory, end-of-stream marker. */
function withStreamFooter(image: Buffer, tweak: (footer: Buffer) => void = () => undefined): Buffer {
  const tail = Buffer.alloc(1536);
  tail.writeUInt32LE(3, 12);
  image.copy(tail, 512, 0, 64);
  tail.writeBigUInt64LE(21n, 512 + 56);
  tweak(tail.subarray(512, 1024));
  return Buffer.concat([image, tail]);
}

function vhdFooter(size: number, type = 3): Buffer {
  const f = Buffer.alloc(512);
  f.write('conectix', 0, 'latin1');
  f.writeBigUInt64BE(BigInt(size), 40);
  f.writeBigUInt64BE(BigInt(size), 48);
  f.writeUInt32BE(type, 60);
  return f;
}

function guidBytes(guid: string): Buffer {
  const h = guid.replace(/-/g, '');
  const le = (s: string) => Buffer.from(s, 'hex').reverse();
  return Buffer.concat([le(h.slice(0, 8)), le(h.slice(8, 12)), le(h.slice(12, 16)), Buffer.from(h.slice(16), 'hex')]);
}

function vhdx(size: number, metadataAt = 1 * MiB): Buffer {
  const b = Buffer.alloc(metadataAt + 128 * KiB);
  b.write('vhdxfile', 0, 'latin1');
  const rt = 192 * KiB;
  b.writeUInt32LE(0x69676572, rt);
  b.writeUInt32LE(2, rt + 8);
  guidBytes('2DC27766-F623-4200-9D64-115E9BFD4A08').copy(b, rt + 16); // BAT
  b.writeBigUInt64LE(BigInt(metadataAt + 64 * KiB), rt + 32);
  guidBytes('8B7CA206-4790-4B9A-B8FE-575F050F886E').copy(b, rt + 48);
  b.writeBigUInt64LE(BigInt(metadataAt), rt + 64);
  b.write('metadata', metadataAt, 'latin1');
  b.writeUInt16LE(2, metadataAt + 10);
  guidBytes('CAA16737-FA36-4D43-B3B6-33F0AA44E76B').copy(b, metadataAt + 32); // file parameters
  b.writeUInt32LE(64 * KiB, metadataAt + 48);
  guidBytes('2FA54224-CD1B-4876-B211-5DBED83BF4B8').copy(b, metadataAt + 64);
  b.writeUInt32LE(64 * KiB + 8, metadataAt + 80);
  b.writeBigUInt64LE(BigInt(size), metadataAt + 64 * KiB + 8);
  return b;
}

function iso({ udf = false, blocks = 50 } = {}): Buffer {
  const b = Buffer.alloc(blocks * 2048);
  if (udf) {
    b.write('\0BEA01', 0x8000, 'latin1');
    b.write('\0NSR02', 0x8800, 'latin1');
    return b;
  }
  b[0x8000] = 1;
  b.write('CD001', 0x8001, 'latin1');
  b.writeUInt32LE(blocks, 0x8000 + 80);
  b.writeUInt32BE(blocks, 0x8000 + 84);
  b.writeUInt16LE(2048, 0x8000 + 128);
  b.writeUInt16BE(2048, 0x8000 + 130);
  return b;
}

function vdi(size: number): Buffer {
  const b = Buffer.alloc(64 * KiB);
  b.write('<<< Oracle VM VirtualBox Disk Image >>>\n', 0, 'latin1');
  b.writeUInt32LE(0xbeda107f, 0x40);
  b.writeBigUInt64LE(BigInt(size), 0x170);
  return b;
}

function luks(version = 1): Buffer {
  const b = Buffer.alloc(64 * KiB);
  b.write('LUKS\xba\xbe', 0, 'latin1');
  b.writeUInt16BE(version, 6);
  b.writeUInt32BE(8, 104);
  return b;
}

const random = randomBytes(200 * KiB);
/** Every probe knows whether it matches once the ISO descriptors at 32 KiB have streamed by. */
const DECIDED = 0x9001 + 5;

describe('format inspector: qcow2', () => {
  it('accepts a plain qcow2 (v3 and v2) with its virtual size', () => {
    accepted('qcow2', qcow2(), { format: 'qcow2', virtualSize: 10 * MiB });
    accepted('qcow2', qcow2({ version: 2 }), { format: 'qcow2', virtualSize: 10 * MiB });
    accepted('qcow2', qcow2({ incompatible: 0x1bn }), { format: 'qcow2', virtualSize: 10 * MiB }, {});
  });

  it('refuses a backing file, an external data file, unknown features and odd versions, within the header', () => {
    refused('qcow2', qcow2({ backing: 0x200n }), 'image_unsafe', /backing file/, 104);
    refused('qcow2', qcow2({ incompatible: 0x4n }), 'image_unsafe', /external data file/, 104);
    refused('qcow2', qcow2({ incompatible: 0x20n }), 'image_unsafe', /unknown qcow2 incompatible features/, 104);
    refused('qcow2', qcow2({ incompatible: 1n << 63n }), 'image_unsafe', /unknown/, 104);
    refused('qcow2', qcow2({ version: 1 }), 'image_unsafe', /Unsupported qcow2 version 1/, 104);
    refused('qcow2', qcow2({ version: 4 }), 'image_unsafe', /Unsupported qcow2 version 4/, 104);
    refused('qcow2', qcow2({ size: 1n << 62n }), 'image_unsafe', /implausible virtual size/, 104);
  });

  it('refuses an unsafe qcow2 whatever was declared', () => {
    for (const declared of ['raw', 'ami', 'vmdk', 'iso'] as const) {
      refused(declared, qcow2({ backing: 0x200n }), 'image_unsafe', /backing file/, 104);
    }
  });

  it('lets raw carry a safe qcow2 sized by its bytes, as Glance does', () => {
    accepted('raw', qcow2(), { format: 'qcow2', virtualSize: 256 * KiB });
  });

  it('stops within the header when the declared format is not what arrives', () => {
    refused('qcow2', random, 'image_format_mismatch', /disk_format qcow2 does not match stream data raw/, DECIDED);
    refused('vmdk', qcow2(), 'image_format_mismatch', /disk_format vmdk does not match stream data qcow2/, DECIDED);
    refused('ami', qcow2(), 'image_format_mismatch', /disk_format ami does not match stream data qcow2/, DECIDED);
  });

  it('treats a truncated header as raw', () => {
    const truncated = qcow2().subarray(0, 50);
    accepted('raw', truncated, { format: 'raw', virtualSize: 50 });
    refused('qcow2', truncated, 'image_format_mismatch', /stream data raw/);
  });
});

describe('format inspector: raw and signature-less formats', () => {
  it('accepts anything unrecognised as raw, ami, ari, aki and ploop, sized by its bytes', () => {
    for (const declared of ['raw', 'ami', 'ari', 'aki', 'ploop'] as const) {
      accepted(declared, random, { format: 'raw', virtualSize: random.length });
    }
    accepted('raw', Buffer.alloc(0), { format: 'raw', virtualSize: 0 });
  });

  it('refuses unrecognised data declared as a format with a signature', () => {
    for (const declared of ['vmdk', 'vdi', 'vhdx', 'iso', 'vhd'] as const) {
      refused(declared, random, 'image_format_mismatch', new RegExp(`disk_format ${declared} does not match stream data raw`));
    }
  });

  it('decides a mismatch before the end when the header settles it', () => {
    const big = Buffer.concat([random, random]);
    const { at } = inspect('iso', big, () => 16 * KiB);
    assert.equal(at, 32 * KiB);
    // A fixed VHD keeps its footer at the end: that answer must wait.
    assert.equal(inspect('vhd', big, () => 64 * KiB).at, big.length);
  });

  it('can accept a mismatch when format matching is not required, but never an unsafe image', () => {
    accepted('vmdk', qcow2(), { format: 'qcow2' }, { requireMatch: false });
    accepted('iso', random, { format: 'raw' }, { requireMatch: false });
    const { error } = inspect('vmdk', qcow2({ backing: 1n }), () => 1000, { requireMatch: false });
    assert.equal(error?.code, 'image_unsafe');
  });

  it('keeps refusing once it has refused', () => {
    const inspector = inspectFormat('qcow2');
    assert.throws(() => inspector.feed(random), { code: 'image_format_mismatch' });
    assert.throws(() => inspector.feed(random), { code: 'image_format_mismatch' });
    assert.throws(() => inspector.finish(), { code: 'image_format_mismatch' });
  });
});

describe('format inspector: vmdk', () => {
  it('accepts a monolithicSparse and a streamOptimized image with capacity * 512', () => {
    accepted('vmdk', vmdk(), { format: 'vmdk', virtualSize: 1 * MiB });
    const stream = vmdk({ descriptor: 'createType="streamOptimized"\nRW 2048 SPARSE "x.vmdk"\n', gdAtEnd: true });
    accepted('vmdk', withStreamFooter(stream), { format: 'vmdk', virtualSize: 1 * MiB });
  });

  it('refuses descriptors that reach other files', () => {
    const cases: [string, RegExp][] = [
      ['createType="monolithicFlat"\nRW 2048 FLAT "disk-flat.vmdk" 0\n', /Unsupported VMDK subformat monolithicflat/],
      ['createType="monolithicSparse"\nRW 2048 SPARSE "/etc/passwd"\n', /extents reference other files/],
      ['createType="monolithicSparse"\nRW 2048 FLAT "other-image" 0\n', /extents reference other files/],
      ['createType="monolithicSparse"\nRW 1024 SPARSE "a.vmdk"\nRW 1024 SPARSE "b.vmdk"\n', /2 extents/],
      ['createType="monolithicSparse"\n', /0 extents/],
      ['createType="monolithicSparse"\nparentFileNameHint="base.vmdk"\nRW 2048 SPARSE "a.vmdk"\n', /parent/],
      ['createType="monolithicSparse"\nRW 2048 SPARSE "a.vmdk"\nwhat is this\n', /Invalid VMDK descriptor data/],
      ['RW 2048 SPARSE "a.vmdk"\n', /subformat \(none\)/],
    ];
    for (const [descriptor, pattern] of cases) refused('vmdk', vmdk({ descriptor }), 'image_unsafe', pattern, 20 * 512 + 512);
  });

  it('refuses a sparse header of capacity 0, whose descriptor QEMU would follow', () => {
    refused('vmdk', vmdk({ capacity: 0n }), 'image_unsafe', /capacity 0/, 64);
  });

  it('refuses a streamOptimized footer that disagrees with the header', () => {
    const stream = vmdk({ descriptor: 'createType="streamOptimized"\nRW 2048 SPARSE "x.vmdk"\n', gdAtEnd: true });
    refused(
      'vmdk',
      withStreamFooter(stream, (f) => f.writeBigUInt64LE(2n, 28)),
      'image_unsafe',
      /different descriptor/,
    );
    refused(
      'vmdk',
      withStreamFooter(stream, (f) => f.writeBigUInt64LE(0xffffffffffffffffn, 56)),
      'image_unsafe',
      /another footer/,
    );
    refused('vmdk', stream, 'image_unsafe', /footer/);
  });

  it('refuses text descriptor files and version 3 (COWD) images, even declared raw', () => {
    const text = Buffer.from('# Disk DescriptorFile\nversion=1\ncreateType="vmfs"\nRW 2048 VMFS "/dev/sda"\n');
    for (const declared of ['raw', 'vmdk'] as const) {
      refused(declared, text, 'image_unsafe', /descriptor files reference other files/);
      refused(declared, Buffer.from('\n  \n# c\r\nversion=2\r\nRW 1 FLAT "x"\n'), 'image_unsafe', /descriptor files/);
    }
    refused('raw', Buffer.concat([Buffer.from('COWD'), random]), 'image_unsafe', /COWD/, 4);
    accepted('raw', Buffer.from('just some text, version=1\n'), { format: 'raw', virtualSize: 26 });
  });
});

describe('format inspector: vhd, vhdx, vdi, iso, luks, qed', () => {
  it('reads a dynamic VHD footer at the start and a fixed VHD footer at the end', () => {
    const dynamic = Buffer.concat([vhdFooter(5 * MiB), random, vhdFooter(5 * MiB)]);
    accepted('vhd', dynamic, { format: 'vhd', virtualSize: 5 * MiB });
    const fixed = Buffer.concat([random, vhdFooter(random.length, 2)]);
    accepted('vhd', fixed, { format: 'vhd', virtualSize: random.length });
    // QEMU only probes offset 0: as raw, a fixed VHD is plain raw data.
    accepted('raw', fixed, { format: 'raw', virtualSize: fixed.length });
    refused('qcow2', fixed, 'image_format_mismatch', /stream data raw/);
  });

  it('refuses a differencing VHD (it names a parent)', () => {
    refused('vhd', Buffer.concat([vhdFooter(MiB, 4), random]), 'image_unsafe', /parent/, 512);
  });

  it('follows the VHDX region and metadata tables to the virtual disk size', () => {
    accepted('vhdx', vhdx(3 * MiB), { format: 'vhdx', virtualSize: 3 * MiB });
    accepted('vhdx', vhdx(7 * MiB, 256 * KiB), { format: 'vhdx', virtualSize: 7 * MiB });
    // A region table it cannot follow leaves the size unknown but the format known.
    const broken = vhdx(3 * MiB);
    broken.fill(0, 192 * KiB, 193 * KiB);
    accepted('vhdx', broken, { format: 'vhdx', virtualSize: undefined });
    refused('qcow2', vhdx(MiB), 'image_format_mismatch', /stream data vhdx/, DECIDED);
  });

  it('reads the VDI disk size', () => {
    accepted('vdi', vdi(9 * MiB), { format: 'vdi', virtualSize: 9 * MiB });
    refused('ami', vdi(MiB), 'image_format_mismatch', /stream data vdi/, DECIDED);
  });

  it('recognises ISO 9660 and UDF at 32 KiB, and lets raw carry an ISO', () => {
    accepted('iso', iso(), { format: 'iso', virtualSize: 50 * 2048 });
    accepted('iso', iso({ udf: true }), { format: 'iso', virtualSize: 50 * 2048 });
    accepted('raw', iso(), { format: 'iso', virtualSize: 50 * 2048 });
    refused('qcow2', iso(), 'image_format_mismatch', /stream data iso/, DECIDED);
    refused('iso', qcow2(), 'image_format_mismatch', /stream data qcow2/, DECIDED);
  });

  it('refuses content that is two formats at once', () => {
    const both = iso();
    qcow2({ length: 512 }).copy(both);
    refused('iso', both, 'image_unsafe', /Multiple formats detected: qcow2, iso/);
    refused('raw', both, 'image_unsafe', /Multiple formats detected/);
  });

  it('accepts LUKS v1 as raw, refuses other LUKS versions and QED', () => {
    accepted('raw', luks(1), { format: 'luks', virtualSize: 64 * KiB });
    refused('raw', luks(2), 'image_unsafe', /LUKS version 2/, 108);
    const qed = Buffer.concat([Buffer.from('QED\0'), random]);
    refused('raw', qed, 'image_unsafe', /QED/, 4);
  });
});
