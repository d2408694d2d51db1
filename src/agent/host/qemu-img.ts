/** qemu-img and qemu-system probes, run through host-process (the only spawner). */
import { open, readFile } from 'node:fs/promises';
import { runCommand } from './host-process.js';

export interface ImageInfo {
  format: string;
  virtualSize: number;
  backingFilename?: string;
}

// Untrusted images: cap what `qemu-img info` may use, as Nova does (1 GiB, 30 s CPU).
const INFO_LIMITS = { addressSpace: 1 << 30, cpuSeconds: 30 };

export async function imageInfo(path: string, format?: string): Promise<ImageInfo> {
  const argv = ['qemu-img', 'info', '--output=json', ...(format ? ['-f', format] : []), path];
  const { stdout } = await runCommand(argv, { limits: INFO_LIMITS, timeoutMs: 60_000 });
  const j = JSON.parse(stdout) as { format: string; 'virtual-size': number; 'backing-filename'?: string };
  return { format: j.format, virtualSize: j['virtual-size'], backingFilename: j['backing-filename'] };
}

/** A qcow2 overlay of `base` of `sizeBytes` (or the base's size when undefined). */
export async function createOverlay(base: string, baseFormat: string, path: string, sizeBytes?: number): Promise<void> {
  await runCommand(['qemu-img', 'create', '-f', 'qcow2', '-F', baseFormat, '-b', base, path, ...(sizeBytes ? [String(sizeBytes)] : [])]);
}

export async function createBlank(path: string, sizeBytes: number): Promise<void> {
  await runCommand(['qemu-img', 'create', '-f', 'qcow2', path, String(sizeBytes)]);
}

export async function resizeImage(path: string, sizeBytes: number): Promise<void> {
  await runCommand(['qemu-img', 'resize', '-f', 'qcow2', path, String(sizeBytes)]);
}

/** Copies `src` (readable while a guest holds it: -U) into a standalone image. */
export async function convertImage(src: string, dest: string, outFormat: string, opts: { forceShare?: boolean } = {}): Promise<void> {
  await runCommand(['qemu-img', 'convert', ...(opts.forceShare ? ['-U'] : []), '-O', outFormat, src, dest]);
}

/** e.g. 7002022 for "QEMU emulator version 7.2.22", the way libvirt reports versions. */
export async function qemuVersion(binary = 'qemu-system-x86_64'): Promise<number> {
  const { stdout } = await runCommand([binary, '--version'], { timeoutMs: 10_000 });
  const m = /version (\d+)\.(\d+)\.(\d+)/.exec(stdout);
  return m ? Number(m[1]) * 1_000_000 + Number(m[2]) * 1000 + Number(m[3]) : 0;
}

/** KVM is usable when /dev/kvm opens read-write and the CPU has vmx/svm. */
export async function kvmUsable(): Promise<boolean> {
  try {
    const fh = await open('/dev/kvm', 'r+');
    await fh.close();
  } catch {
    return false;
  }
  try {
    return /\b(vmx|svm)\b/.test(await readFile('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}
