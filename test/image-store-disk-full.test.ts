// A full disk during an upload: 413 storage_full, as Glance answers StorageFull, and nothing left
// behind. Needs a real small filesystem: a 1 MiB tmpfs this test mounts (root on Linux only).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { KumoError } from '../src/lib/errors.js';
import { FilesystemStore } from '../src/image/store/filesystem-store.js';

const canMount = process.platform === 'linux' && process.getuid?.() === 0;

it('answers 413 storage_full and removes the partial file when the disk fills', { skip: !canMount && 'needs root on Linux' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-disk-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    // Root without CAP_SYS_ADMIN (an unprivileged container).
    return t.skip(`cannot mount a tmpfs: ${(e as Error).message}`);
  }
  const store = new FilesystemStore({ dir });
  t.after(async () => {
    await store.close();
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  const fits = await store.add('small', Readable.from([randomBytes(100 * 1024)]), { maxSize: 1 << 30 });
  assert.equal(fits.size, 100 * 1024);

  const chunks = Array.from({ length: 48 }, () => randomBytes(64 * 1024));
  await assert.rejects(
    store.add('big', Readable.from(chunks), { maxSize: 1 << 30 }),
    (e: unknown) =>
      e instanceof KumoError && e.code === 'storage_full' && e.status === 413 && /^Image storage media is full/.test(e.message),
  );
  assert.deepEqual(readdirSync(dir), ['small']);
});
