// The format inspector against images made by the real qemu-img: it must agree with qemu-img on
// format and virtual size, and refuse what OSSA-2024-001 is about. Skipped without qemu-img, except in CI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { KumoError } from '../src/lib/errors.js';
import { qemuImgInfo } from '../src/lib/tools/qemu-img.js';
import { inspectFormat, type FormatInspection } from '../src/image/domain/format-inspector.js';
import type { DiskFormat } from '../src/image/domain/models.js';
import { FilesystemStore } from '../src/image/store/filesystem-store.js';

let haveQemuImg = true;
try {
  execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
} catch {
  haveQemuImg = false;
}
const skip = !haveQemuImg && !process.env.CI && 'qemu-img is not installed';

/** Feeds a file with the header byte by byte, then in odd-sized chunks. */
function inspectFile(path: string, declared: DiskFormat): FormatInspection {
  const data = readFileSync(path);
  const inspector = inspectFormat(declared);
  for (let at = 0; at < data.length;) {
    const n = at < 1024 ? 1 : 65521;
    inspector.feed(data.subarray(at, at + n));
    at += n;
  }
  return inspector.finish();
}

const refusal = (code: string, pattern: RegExp) => (e: unknown) =>
  e instanceof KumoError && e.code === code && e.status === 415 && pattern.test(e.message);

describe('format inspector on qemu-img images', { skip }, () => {
  let dir: string;
  const create = (name: string, format: string, size: string, ...options: string[]) => {
    const path = join(dir, name);
    execFileSync('qemu-img', ['create', '-q', '-f', format, ...options, path, size]);
    return path;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kumo-inspector-qemu-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const agreeing: [string, string, DiskFormat, string, string[]][] = [
    ['qcow2 v3', 'qcow2', 'qcow2', '1G', []],
    ['qcow2 v2', 'qcow2', 'qcow2', '1G', ['-o', 'compat=0.10']],
    ['qcow2 with extended L2 entries', 'qcow2', 'qcow2', '1G', ['-o', 'extended_l2=on']],
    ['vmdk monolithicSparse', 'vmdk', 'vmdk', '1G', []],
    ['vmdk streamOptimized', 'vmdk', 'vmdk', '1G', ['-o', 'subformat=streamOptimized']],
    ['vhdx', 'vhdx', 'vhdx', '1G', []],
    ['vhd dynamic', 'vpc', 'vhd', '1G', []],
    ['vhd fixed', 'vpc', 'vhd', '16M', ['-o', 'subformat=fixed']],
    ['vdi', 'vdi', 'vdi', '1G', []],
    ['raw', 'raw', 'raw', '3M', []],
  ];
  for (const [name, qemuFormat, declared, size, options] of agreeing) {
    it(`agrees with qemu-img on ${name}`, async () => {
      const path = create(`${name.replace(/\W+/g, '-')}.img`, qemuFormat, size, ...options);
      const info = await qemuImgInfo(path, qemuFormat);
      assert.deepEqual(inspectFile(path, declared), { format: declared, virtualSize: info.virtualSize });
    });
  }

  it('lets raw carry a safe qcow2, sized by its bytes', () => {
    const path = create('safe.qcow2', 'qcow2', '1G');
    assert.deepEqual(inspectFile(path, 'raw'), { format: 'qcow2', virtualSize: readFileSync(path).length });
  });

  it('refuses a qcow2 with a backing file or an external data file, declared qcow2 or raw', () => {
    const base = create('base.qcow2', 'qcow2', '1G');
    const child = create('child.qcow2', 'qcow2', '1G', '-b', base, '-F', 'qcow2');
    const external = create('external.qcow2', 'qcow2', '16M', '-o', `data_file=${join(dir, 'external.raw')}`);
    for (const declared of ['qcow2', 'raw'] as const) {
      assert.throws(() => inspectFile(child, declared), refusal('image_unsafe', /backing file/));
      assert.throws(() => inspectFile(external, declared), refusal('image_unsafe', /external data file/));
    }
  });

  it('refuses VMDK descriptor files, whose extents are other files', () => {
    create('flat.vmdk', 'vmdk', '16M', '-o', 'subformat=monolithicFlat');
    create('split.vmdk', 'vmdk', '16M', '-o', 'subformat=twoGbMaxExtentSparse');
    for (const file of ['flat.vmdk', 'split.vmdk']) {
      for (const declared of ['vmdk', 'raw'] as const) {
        assert.throws(() => inspectFile(join(dir, file), declared), refusal('image_unsafe', /descriptor files reference other files/));
      }
    }
  });

  it('refuses QED, and mismatches between declared and real formats', () => {
    assert.throws(() => inspectFile(create('x.qed', 'qed', '1G'), 'raw'), refusal('image_unsafe', /QED/));
    const vdi = create('x.vdi', 'vdi', '1G');
    assert.throws(() => inspectFile(vdi, 'qcow2'), refusal('image_format_mismatch', /disk_format qcow2 does not match stream data vdi/));
    assert.throws(() => inspectFile(vdi, 'aki'), refusal('image_format_mismatch', /stream data vdi/));
  });

  it('recognises LUKS v1 and accepts it as raw', () => {
    const path = create('x.luks', 'luks', '16M', '--object', 'secret,id=s0,data=kumo', '-o', 'key-secret=s0,iter-time=10');
    assert.equal(inspectFile(path, 'raw').format, 'luks');
  });

  it('stops an upload into the store as soon as the header shows a backing file', async () => {
    const base = create('b2.qcow2', 'qcow2', '1G');
    const child = readFileSync(create('c2.qcow2', 'qcow2', '1G', '-b', base, '-F', 'qcow2'));
    const store = new FilesystemStore({ dir: join(dir, 'store') });
    const inspector = inspectFormat('qcow2');
    let pulled = 0;
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield i === 0 ? child.subarray(0, 65536) : Buffer.alloc(65536);
        }
      })(),
    );
    await assert.rejects(
      store.add('c2', body, { maxSize: 1 << 30, observe: (c) => inspector.feed(c) }),
      refusal('image_unsafe', /backing file/),
    );
    assert.ok(pulled < 10, `read ${pulled} chunks before stopping`);
    assert.deepEqual(readdirSync(join(dir, 'store')), []);
    await store.close();
  });
});
