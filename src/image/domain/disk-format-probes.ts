/**
 * One probe per disk image format QEMU can open, each reading only the few
 * header bytes it needs from the start of a stream (and the last few KiB,
 * for footers). Facts from the QEMU block drivers and format specs, and from
 * Glance/oslo.utils' format_inspector (the OSSA-2024-001 fix), whose safety
 * rules these follow:
 *   qcow2  no backing file, no external data file, no unknown incompatible
 *          features, version 2 or 3
 *   vmdk   a single-file sparse image (monolithicSparse, streamOptimized)
 *          whose descriptor names no other file; never a text descriptor
 *   qed    always refused (nobody runs it; it has backing files)
 *   luks   version 1 only
 */

import { Probe, startsWith, u64, type ProbeInput } from './format-probe.js';
import { VmdkProbe } from './vmdk-probe.js';

class QcowProbe extends Probe {
  readonly format = 'qcow2';
  override need = 4;

  step({ head }: ProbeInput): void {
    if (head.length < 4 || !startsWith(head, 'QFI\xfb')) return this.decide(false);
    if (head.length < 104) return void (this.need = 104);
    const version = head.readUInt32BE(4);
    this.virtualSize = u64(head, 24, false);
    if (version !== 2 && version !== 3) return this.decide(true, `Unsupported qcow2 version ${version}`);
    if (head.readBigUInt64BE(8) !== 0n) return this.decide(true, 'Image has a backing file');
    if (this.virtualSize === undefined) return this.decide(true, 'Image has an implausible virtual size');
    if (version === 3) {
      const incompatible = head.readBigUInt64BE(72);
      if (incompatible & 0x4n) return this.decide(true, 'Image has an external data file');
      // Known: dirty, corrupt, external data, compression type, extended L2.
      if (incompatible & ~0x1fn) return this.decide(true, 'Image uses unknown qcow2 incompatible features');
    }
    this.decide(true);
  }
}

class QedProbe extends Probe {
  readonly format = 'qed';
  override need = 4;

  step({ head }: ProbeInput): void {
    this.decide(startsWith(head, 'QED\0'), 'QED images are not supported');
  }
}

/** VHD: a 512-byte footer, copied at offset 0 for dynamic disks, only at the end for fixed ones. */
export class VhdProbe extends Probe {
  readonly format = 'vhd';
  override need = 512;
  /** The footer is at offset 0, as QEMU probes it. */
  atStart = false;

  step({ head }: ProbeInput): void {
    if (head.length >= 512 && startsWith(head, 'conectix')) {
      this.atStart = true;
      return this.#footer(head.subarray(0, 512));
    }
    // Maybe a fixed disk: look at the end.
    this.need = Infinity;
    this.needsEnd = true;
  }

  override end({ tail, total }: ProbeInput): void {
    if (this.matched !== undefined) return;
    const footer = total >= 512 ? tail.subarray(tail.length - 512) : undefined;
    if (footer && startsWith(footer, 'conectix')) this.#footer(footer);
    else this.decide(false);
  }

  #footer(footer: Buffer): void {
    this.virtualSize = u64(footer, 48, false);
    // Differencing disks point at a parent file.
    this.decide(true, footer.readUInt32BE(60) === 4 ? 'Differencing VHD images reference a parent image' : undefined);
  }
}

const METADATA_REGION = '8b7ca206-4790-4b9a-b8fe-575f050f886e';
const VIRTUAL_DISK_SIZE = '2fa54224-cd1b-4876-b211-5dbed83bf4b8';
/** Header, then region table at 192 KiB; metadata table entries are 32 bytes, at most 2047 of them. */
const VHDX_REGION_TABLE = 192 * 1024;
const VHDX_TABLE_MAX = 32 * 2048;

/** Microsoft GUIDs: first three fields little-endian. */
function guid(buf: Buffer, at: number): string {
  const h = (a: number, b: number): string => buf.subarray(at + a, at + b).toString('hex');
  const le = (a: number, b: number): string =>
    Buffer.from(buf.subarray(at + a, at + b))
      .reverse()
      .toString('hex');
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${h(8, 10)}-${h(10, 16)}`;
}

class VhdxProbe extends Probe {
  readonly format = 'vhdx';
  override need = 8;
  #metadataAt: number | undefined;

  step({ head, capture }: ProbeInput): void {
    if (this.matched === undefined) {
      if (!startsWith(head, 'vhdxfile')) return this.decide(false);
      this.matched = true;
      this.need = VHDX_REGION_TABLE + 16;
      return;
    }
    if (this.#metadataAt === undefined) {
      // The virtual size is nice to have: a header we cannot follow leaves it unknown.
      if (head.length < VHDX_REGION_TABLE + 16 || head.readUInt32LE(VHDX_REGION_TABLE) !== 0x69676572) return this.decide(true);
      const count = Math.min(head.readUInt32LE(VHDX_REGION_TABLE + 8), 2047);
      const end = VHDX_REGION_TABLE + 16 + count * 32;
      if (head.length < end && this.need < end) return void (this.need = end);
      for (let at = VHDX_REGION_TABLE + 16; at + 32 <= Math.min(end, head.length); at += 32) {
        if (guid(head, at) === METADATA_REGION) this.#metadataAt = u64(head, at + 16, true);
      }
      if (this.#metadataAt === undefined) return this.decide(true);
      this.need = 0;
    }
    const table = capture(this.#metadataAt, VHDX_TABLE_MAX);
    if (table === undefined) return;
    if (table === null || !startsWith(table, 'metadata')) return this.decide(true);
    const entries = Math.min(table.readUInt16LE(10), 2047);
    for (let i = 0; i < entries; i++) {
      const entry = 32 + i * 32;
      if (guid(table, entry) !== VIRTUAL_DISK_SIZE) continue;
      const item = table.readUInt32LE(entry + 16);
      const size = item + 8 <= table.length ? table.subarray(item, item + 8) : capture(this.#metadataAt + item, 8);
      if (size === undefined) return;
      if (size) this.virtualSize = u64(size, 0, true);
      break;
    }
    this.decide(true);
  }
}

class VdiProbe extends Probe {
  readonly format = 'vdi';
  override need = 0x178;

  step({ head }: ProbeInput): void {
    if (head.length < 0x178 || head.readUInt32LE(0x40) !== 0xbeda107f) return this.decide(false);
    this.virtualSize = u64(head, 0x170, true);
    this.decide(true);
  }
}

/** ISO 9660 (CD001) or UDF (NSR02/NSR03) volume descriptors start at 32 KiB, every 2 KiB. */
class IsoProbe extends Probe {
  readonly format = 'iso';
  override need = 0x9001 + 5;

  step({ head }: ProbeInput): void {
    const iso9660 = startsWith(head, 'CD001', 0x8001);
    const udf = [0x8001, 0x8801, 0x9001].some((at) => startsWith(head, 'NSR02', at) || startsWith(head, 'NSR03', at));
    if (iso9660 && head[0x8000] === 1) {
      // Primary volume descriptor: both-endian fields, read the little-endian half.
      this.virtualSize = head.readUInt32LE(0x8000 + 80) * head.readUInt16LE(0x8000 + 128);
    }
    this.decide(iso9660 || udf);
  }

  override end({ total }: ProbeInput): void {
    // UDF-only discs carry no size we read: the image is the disc.
    if (this.matched && this.virtualSize === undefined) this.virtualSize = total;
  }
}

class LuksProbe extends Probe {
  readonly format = 'luks';
  override need = 108;
  payloadOffset = 0;

  step({ head }: ProbeInput): void {
    if (head.length < 108 || !startsWith(head, 'LUKS\xba\xbe')) return this.decide(false);
    const version = head.readUInt16BE(6);
    this.payloadOffset = head.readUInt32BE(104) * 512;
    this.decide(true, version === 1 ? undefined : `LUKS version ${version} is not supported`);
  }

  override end({ total }: ProbeInput): void {
    if (this.matched) this.virtualSize = Math.max(total - this.payloadOffset, 0);
  }
}

/** A fresh set of probes for one stream. */
export function allProbes(): Probe[] {
  return [
    new QcowProbe(),
    new QedProbe(),
    new VhdProbe(),
    new VhdxProbe(),
    new VmdkProbe(),
    new VdiProbe(),
    new IsoProbe(),
    new LuksProbe(),
  ];
}
