import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KumoError } from '../errors.js';
import { qemuImgInfo } from './qemu-img.js';

function installed(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const haveQemuImg = installed('qemu-img');
// CI must have qemu-utils (scripts/setup.sh installs it): a missing tool fails there instead of skipping.
const skip = !haveQemuImg && !process.env.CI && 'qemu-img is not installed';
const GiB = 1 << 30;

describe('qemuImgInfo', { skip }, () => {
  let dir: string;
  const create = (name: string, ...args: string[]) => {
    execFileSync('qemu-img', ['create', '-q', ...args.slice(0, -1), join(dir, name), ...args.slice(-1)]);
    return join(dir, name);
  };
  /** An executable script standing in for qemu-img. */
  const fake = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kumo-qemu-img-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads virtual size and format', async () => {
    const qcow2 = await qemuImgInfo(create('a.qcow2', '-f', 'qcow2', '1G'), 'qcow2');
    assert.deepEqual([qcow2.virtualSize, qcow2.format, qcow2.backingFile, qcow2.dataFile], [GiB, 'qcow2', undefined, undefined]);
    assert.ok(qcow2.actualSize !== undefined && qcow2.actualSize < 1 << 20);
    const vhd = await qemuImgInfo(create('a.vhd', '-f', 'vpc', '64M'), 'vpc');
    assert.equal(vhd.format, 'vpc');
    assert.ok(Math.abs(vhd.virtualSize - 64 * 2 ** 20) < 2 ** 20, 'vpc rounds to its CHS geometry');
    const vmdk = await qemuImgInfo(create('a.vmdk', '-f', 'vmdk', '1G'), 'vmdk');
    assert.deepEqual([vmdk.virtualSize, vmdk.vmdkCreateType], [GiB, 'monolithicSparse']);
  });

  it('reports backing and external data files', async () => {
    const base = create('base.qcow2', '-f', 'qcow2', '1G');
    const child = create('child.qcow2', '-f', 'qcow2', '-b', base, '-F', 'qcow2', '1G');
    assert.equal((await qemuImgInfo(child, 'qcow2')).backingFile, base);
    const withData = create('data.qcow2', '-f', 'qcow2', '-o', `data_file=${join(dir, 'data.raw')}`, '16M');
    assert.equal((await qemuImgInfo(withData, 'qcow2')).dataFile, join(dir, 'data.raw'));
  });

  it('fails with 415 image_inspection_failed when the data is not that format', async () => {
    const raw = join(dir, 'plain.raw');
    writeFileSync(raw, Buffer.alloc(4096, 1));
    await assert.rejects(
      qemuImgInfo(raw, 'qcow2'),
      (e: unknown) =>
        e instanceof KumoError && e.code === 'image_inspection_failed' && e.status === 415 && /not in qcow2 format/.test(e.message),
    );
    await assert.rejects(qemuImgInfo(join(dir, 'missing.qcow2'), 'qcow2'), { code: 'image_inspection_failed' });
  });

  it('runs under the address-space and CPU limits', { skip: !installed('prlimit') && 'prlimit is not installed' }, async () => {
    // Reports its own limits in place of a virtual size: RLIMIT_AS in KiB, then RLIMIT_CPU in seconds.
    const limits = fake('limits', `printf '{"virtual-size": %s, "format": "raw", "actual-size": %s}' "$(ulimit -v)" "$(ulimit -t)"`);
    const info = await qemuImgInfo(join(dir, 'x'), 'raw', { executable: limits });
    assert.deepEqual([info.virtualSize, info.actualSize], [GiB / 1024, 2]);
    const custom = await qemuImgInfo(join(dir, 'x'), 'raw', { executable: limits, addressSpaceBytes: 2 * GiB, cpuSeconds: 7 });
    assert.deepEqual([custom.virtualSize, custom.actualSize], [(2 * GiB) / 1024, 7]);
  });

  it('gives up after its timeout', async () => {
    const slow = fake('slow', 'exec sleep 5');
    const started = Date.now();
    await assert.rejects(qemuImgInfo(join(dir, 'x'), 'raw', { executable: slow, timeoutMs: 200 }), /stopped by SIGTERM/);
    assert.ok(Date.now() - started < 3000);
  });

  it('says clearly when qemu-img is missing, and refuses odd format names', async () => {
    await assert.rejects(
      qemuImgInfo(join(dir, 'x'), 'raw', { executable: join(dir, 'no-such-qemu-img') }),
      (e: unknown) => e instanceof KumoError && e.code === 'qemu_img_unavailable' && /qemu-utils/.test(e.message),
    );
    await assert.rejects(qemuImgInfo(join(dir, 'x'), '-U'), TypeError);
  });
});
