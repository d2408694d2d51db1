/**
 * `qemu-img info` on a stored image, under the resource limits Glance uses
 * (glance/async_/utils.py QEMU_IMG_PROC_LIMITS: 1 GiB of address space, 2 s
 * of CPU) because a crafted image can make qemu-img allocate or loop without
 * bound. Never run it on data that the format inspector has not passed
 * first: opening a qcow2 follows its external data file.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { KumoError } from '../errors.js';

export interface QemuImgInfo {
  /** Bytes the guest sees. */
  virtualSize: number;
  /** qemu-img's format name (vpc for VHD, parallels for ploop). */
  format: string;
  /** Bytes the file occupies on disk. */
  actualSize?: number;
  backingFile?: string;
  /** qcow2 external data file. */
  dataFile?: string;
  /** VMDK subformat (monolithicSparse, streamOptimized, ...). */
  vmdkCreateType?: string;
}

export interface QemuImgOptions {
  /** The qemu-img binary (default: found on PATH). */
  executable?: string;
  /** Wall-clock limit (default 30 s). */
  timeoutMs?: number;
  /** RLIMIT_AS (default 1 GiB, as Glance). */
  addressSpaceBytes?: number;
  /** RLIMIT_CPU (default 2 s, as Glance). */
  cpuSeconds?: number;
}

const FORMAT = /^[a-z0-9]+$/;

/** Reads `path` as `format` (never probes: a guessed format is the vulnerability). */
export async function qemuImgInfo(path: string, format: string, options: QemuImgOptions = {}): Promise<QemuImgInfo> {
  if (!FORMAT.test(format)) throw new TypeError(`invalid qemu-img format name: ${format}`);
  const qemuImg = options.executable === undefined ? findExecutable('qemu-img') : executable(options.executable);
  if (!qemuImg) throw unavailable();
  // An absolute path cannot be mistaken for an option.
  const args = ['info', '-f', format, '--output=json', resolve(path)];
  const prlimit = findExecutable('prlimit');
  const limits = [`--as=${options.addressSpaceBytes ?? 1 << 30}`, `--cpu=${options.cpuSeconds ?? 2}`];
  const [file, argv] = prlimit ? [prlimit, [...limits, '--', qemuImg, ...args]] : [qemuImg, args];
  const stdout = await run(file, argv, options.timeoutMs ?? 30_000);
  return parseInfo(stdout);
}

function run(file: string, args: string[], timeout: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { timeout, maxBuffer: 1 << 20, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (!error) return resolvePromise(stdout);
      if (error.code === 'ENOENT') return reject(unavailable());
      const killed = error.killed || error.signal ? ` (stopped by ${error.signal ?? 'a limit'}: too slow or too big)` : '';
      const detail = stderr.trim().split('\n').pop() || error.message;
      reject(new KumoError('image_inspection_failed', 415, `qemu-img could not read the image${killed}: ${detail}`));
    });
  });
}

function parseInfo(stdout: string): QemuImgInfo {
  const json = JSON.parse(stdout) as Record<string, unknown>;
  const virtualSize = json['virtual-size'];
  if (typeof virtualSize !== 'number' || typeof json.format !== 'string') {
    throw new KumoError('image_inspection_failed', 415, 'qemu-img reported no virtual size for the image.');
  }
  const specific = (json['format-specific'] as { data?: Record<string, unknown> } | undefined)?.data ?? {};
  const info: QemuImgInfo = { virtualSize, format: json.format };
  if (typeof json['actual-size'] === 'number') info.actualSize = json['actual-size'];
  if (typeof json['backing-filename'] === 'string') info.backingFile = json['backing-filename'];
  if (typeof specific['data-file'] === 'string') info.dataFile = specific['data-file'];
  if (typeof specific['create-type'] === 'string') info.vmdkCreateType = specific['create-type'];
  return info;
}

const unavailable = (): KumoError => new KumoError('qemu_img_unavailable', 500, 'qemu-img is not installed (Debian package qemu-utils).');

const found = new Map<string, string>();

/** The executable's path on PATH (plus the sbin directories a service user may lack); found paths are cached. */
function findExecutable(name: string): string | undefined {
  const cached = found.get(name);
  if (cached) return cached;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/bin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const path = executable(join(dir, name));
    if (path) {
      found.set(name, path);
      return path;
    }
  }
  return undefined;
}

function executable(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}
