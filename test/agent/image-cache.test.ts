import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageCache } from '../../src/agent/compute/qemu/image-cache.js';

const IMAGE = 'a1b2c3d4-0000-4000-8000-000000000001';

async function imageServer(t: { after(fn: () => Promise<void>): void }, data: Buffer, md5 = createHash('md5').update(data).digest('hex')) {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-md5': md5 });
    // Slow, chunked body so concurrent callers really overlap.
    res.write(data.subarray(0, 10));
    setTimeout(() => res.end(data.subarray(10)), 50);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'imgcache-'));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, fetcher: (id: string) => fetch(`${url}/v2/images/${id}/file`), hits: () => hits };
}

test('image cache: concurrent gets of one image download it once', async (t) => {
  const data = Buffer.alloc(100_000, 7);
  const s = await imageServer(t, data);
  const cache = new ImageCache(s.dir, s.fetcher);
  const got = await Promise.all([cache.get(IMAGE, data.length), cache.get(IMAGE, data.length), cache.get(IMAGE)]);
  assert.equal(s.hits(), 1);
  for (const g of got) assert.equal(g.path, join(s.dir, IMAGE));
  assert.deepEqual(await readFile(join(s.dir, IMAGE)), data);
  // Cached: no further download.
  await cache.get(IMAGE, data.length);
  assert.equal(s.hits(), 1);
  assert.deepEqual(await readdir(s.dir), [IMAGE]);
});

test('image cache: a checksum mismatch leaves nothing behind', async (t) => {
  const s = await imageServer(t, Buffer.from('hello image data'), '0'.repeat(32));
  const cache = new ImageCache(s.dir, s.fetcher);
  await assert.rejects(cache.get(IMAGE), /checksum/);
  assert.deepEqual(await readdir(s.dir), []);
});

test('image cache: a size mismatch is refused', async (t) => {
  const s = await imageServer(t, Buffer.from('hello image data'));
  const cache = new ImageCache(s.dir, s.fetcher);
  await assert.rejects(cache.get(IMAGE, 999), /expected 999/);
  assert.deepEqual(await readdir(s.dir), []);
});

test('image cache: ids that are not UUID-like are refused', () => {
  const cache = new ImageCache('/tmp', () => Promise.reject(new Error('no')));
  assert.throws(() => cache.pathOf('../etc/passwd'), /Invalid image id/);
});
