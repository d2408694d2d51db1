import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { KumoError } from '../../lib/errors.js';
import { FilesystemStore } from './filesystem-store.js';

const MiB = 1 << 20;
const digests = (data: Buffer) => ({
  checksum: createHash('md5').update(data).digest('hex'),
  hashValue: createHash('sha512').update(data).digest('hex'),
});

/** `data` in chunks of the given sizes, cycling. */
function chunked(data: Buffer, sizes = [65536]): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0, i = 0; at < data.length; i++) {
        const n = sizes[i % sizes.length] as number;
        yield data.subarray(at, at + n);
        at += n;
      }
    })(),
  );
}

async function text(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const rejectsWith = (p: Promise<unknown>, code: string, status: number) =>
  assert.rejects(p, (e: unknown) => e instanceof KumoError && e.code === code && e.status === status);

describe('FilesystemStore', () => {
  let root: string;
  let dir: string;
  let store: FilesystemStore;
  let n = 0;
  const key = () => `image-${++n}`;
  const files = () => readdirSync(dir).sort();

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'kumo-fs-store-'));
    dir = join(root, 'images');
    store = new FilesystemStore({ dir });
  });
  after(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('creates its directory 0700', () => {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('sweeps partial files nobody wrote to for a day when it opens, and keeps fresh ones and data', async () => {
    const sweepDir = join(root, 'sweep');
    const first = new FilesystemStore({ dir: sweepDir, parallelHashing: false });
    await first.close();
    const stale = join(sweepDir, '.dead.abc.partial');
    const fresh = join(sweepDir, '.live.def.partial');
    const data = join(sweepDir, 'image-1');
    for (const f of [stale, fresh, data]) writeFileSync(f, 'x');
    const old = new Date(Date.now() - 25 * 3600 * 1000);
    utimesSync(stale, old, old);
    utimesSync(data, old, old);
    const reopened = new FilesystemStore({ dir: sweepDir, parallelHashing: false });
    await reopened.close();
    assert.deepEqual(readdirSync(sweepDir).sort(), ['.live.def.partial', 'image-1']);
  });

  for (const [name, size, sizes] of [
    ['empty', 0, [1]],
    ['small', 4097, [1000, 7]],
    ['several slots, odd chunks', 5 * MiB + 12345, [65536, 1, 300000]],
  ] as const) {
    it(`round-trips ${name} data with exact md5 and sha512`, async () => {
      const data = randomBytes(size);
      const k = key();
      const stored = await store.add(k, chunked(data, [...sizes]), { maxSize: 10 * MiB, expectedSize: size });
      assert.deepEqual(stored, { location: `file://${join(dir, k)}`, size, ...digests(data) });
      assert.equal(statSync(join(dir, k)).mode & 0o777, 0o600);
      assert.deepEqual(await text(await store.get(stored.location)), data);
      assert.equal(store.localPath(stored.location), join(dir, k));
      assert.ok(!files().some((f) => f.endsWith('.partial')));
    });
  }

  it('hashes concurrent uploads independently, with and without the hashing thread', async () => {
    const serial = new FilesystemStore({ dir, parallelHashing: false });
    const inputs = [randomBytes(3 * MiB + 1), randomBytes(2 * MiB), randomBytes(4 * MiB - 1)];
    const results = await Promise.all(
      inputs.map((data, i) => (i === 1 ? serial : store).add(key(), chunked(data, [70000]), { maxSize: 10 * MiB })),
    );
    results.forEach((r, i) => assert.deepEqual({ checksum: r.checksum, hashValue: r.hashValue }, digests(inputs[i] as Buffer)));
  });

  it('serves an inclusive byte range', async () => {
    const data = randomBytes(3 * MiB);
    const { location } = await store.add(key(), chunked(data), { maxSize: 10 * MiB });
    assert.deepEqual(await text(await store.get(location, { start: 10, end: 19 })), data.subarray(10, 20));
    assert.deepEqual(await text(await store.get(location, { start: MiB - 1, end: 2 * MiB })), data.subarray(MiB - 1, 2 * MiB + 1));
  });

  it('stops at maxSize with 413 image_too_large, leaves no file and does not destroy the source', async () => {
    const before = files();
    const source = chunked(randomBytes(3 * MiB));
    await rejectsWith(store.add(key(), source, { maxSize: 2 * MiB }), 'image_too_large', 413);
    assert.deepEqual(files(), before);
    assert.equal(source.destroyed, false, 'the caller decides what to do with the rest of the body');
    source.destroy();
  });

  it('rejects data shorter or longer than expectedSize with 400, leaving no file', async () => {
    const before = files();
    await assert.rejects(store.add(key(), chunked(randomBytes(1000)), { maxSize: MiB, expectedSize: 1001 }), {
      code: 'image_size_mismatch',
      status: 400,
      message: 'Image data of 1000 bytes is shorter than the expected 1001 bytes.',
    });
    let pulled = 0;
    const long = Readable.from(
      (function* () {
        for (; pulled < 1024; pulled++) yield Buffer.alloc(65536, pulled);
      })(),
    );
    await assert.rejects(store.add(key(), long, { maxSize: 100 * MiB, expectedSize: 2 * MiB }), {
      code: 'image_size_mismatch',
      message: `Image data is longer than the expected ${2 * MiB} bytes.`,
    });
    assert.ok(pulled < 64, `stops reading at the excess, not at the end (read ${pulled} of 1024 chunks)`);
    assert.deepEqual(files(), before);
  });

  it('removes the partial file when the source fails midway', async () => {
    const before = files();
    const source = Readable.from(
      (async function* () {
        yield randomBytes(3 * MiB);
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('connection reset');
      })(),
    );
    await assert.rejects(store.add(key(), source, { maxSize: 10 * MiB }), /image data stream failed: connection reset/);
    assert.deepEqual(files(), before);
  });

  it('removes the partial file when the client disconnects mid-upload', async (t) => {
    const before = files();
    let outcome: Promise<unknown> | undefined;
    const received = new Promise<void>((resolve) => {
      const server = createServer((req: IncomingMessage) => {
        outcome = store.add(key(), req, { maxSize: 100 * MiB }).then(
          () => 'stored',
          (e: unknown) => e,
        );
        req.once('data', () => resolve());
      });
      t.after(() => server.close());
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        const client = request({ port, method: 'PUT', path: '/', headers: { 'content-length': String(50 * MiB) } });
        client.on('error', () => undefined);
        client.write(randomBytes(2 * MiB));
        void received.then(() => setTimeout(() => client.destroy(), 50));
      });
    });
    await received;
    await new Promise((r) => setTimeout(r, 200));
    const error = await outcome;
    assert.ok(error instanceof KumoError && error.code === 'image_data_incomplete', String(error));
    assert.deepEqual(files(), before);
  });

  it('lets the observer see every chunk before it is written, and veto the write', async () => {
    const before = files();
    const data = randomBytes(3 * MiB);
    let seen = 0;
    const veto = new KumoError('image_unsafe', 415, 'no');
    const observe = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > 2 * MiB) throw veto;
    };
    await assert.rejects(store.add(key(), chunked(data), { maxSize: 10 * MiB, observe }), (e) => e === veto);
    assert.deepEqual(files(), before);
    let all = 0;
    await store.add(key(), chunked(data, [4096]), { maxSize: 10 * MiB, observe: (c) => void (all += c.length) });
    assert.equal(all, data.length);
  });

  it('refuses keys that could leave the directory', async () => {
    for (const bad of ['../x', 'a/b', '..', '.hidden', '', 'a..b', 'x\0y', '/etc/passwd', 'a'.repeat(256)]) {
      await rejectsWith(store.add(bad, chunked(Buffer.from('x')), { maxSize: MiB }), 'image_key_invalid', 400);
    }
    assert.ok(!readdirSync(root).includes('x'));
  });

  it('refuses locations outside its directory', async () => {
    writeFileSync(join(root, 'outside'), 'secret');
    for (const loc of [
      `file://${join(root, 'outside')}`,
      `file://${dir}/../outside`,
      'file:///etc/passwd',
      `http://x/${dir}/a`,
      `file://${dir}/`,
    ]) {
      await rejectsWith(store.get(loc), 'image_location_invalid', 500);
      await rejectsWith(store.delete(loc), 'image_location_invalid', 500);
      assert.equal(store.localPath(loc), undefined);
    }
    assert.equal(readFileSync(join(root, 'outside'), 'utf8'), 'secret');
  });

  it('deletes idempotently; reading deleted data is image_data_not_found', async () => {
    const { location } = await store.add(key(), chunked(randomBytes(10)), { maxSize: MiB });
    await store.delete(location);
    await store.delete(location);
    await rejectsWith(store.get(location), 'image_data_not_found', 404);
  });

  it('never replaces existing data under a key', async () => {
    const k = key();
    const first = randomBytes(100);
    const { location } = await store.add(k, chunked(first), { maxSize: MiB });
    const before = files();
    await rejectsWith(store.add(k, chunked(randomBytes(100)), { maxSize: MiB }), 'image_data_exists', 409);
    assert.deepEqual(await text(await store.get(location)), first);
    assert.deepEqual(files(), before);
  });
});
