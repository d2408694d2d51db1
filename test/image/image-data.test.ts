import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startImage, type ImageHarness, type TestProject } from '../support/image-harness.js';

const OCTET = { 'content-type': 'application/octet-stream' };

/** A minimal qcow2 v3 header: magic, version, cluster bits 16, the given virtual size and backing file offset. */
function qcow2Header(virtualSize: number, backingOffset = 0): Buffer {
  const b = Buffer.alloc(512);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(3, 4);
  b.writeBigUInt64BE(BigInt(backingOffset), 8);
  if (backingOffset) {
    b.writeUInt32BE(8, 16);
    b.write('/etc/pw', backingOffset, 'latin1');
  }
  b.writeUInt32BE(16, 20);
  b.writeBigUInt64BE(BigInt(virtualSize), 24);
  b.writeUInt32BE(104, 100);
  return b;
}

describe('image API: data upload, download and import', () => {
  let h: ImageHarness;
  let alice: TestProject;
  let bob: TestProject;
  before(async () => {
    h = await startImage({ env: { KUMO_IMAGE_QUOTA_IMAGE_SIZE_TOTAL: String(64 * 1024 * 1024) } });
    alice = await h.project('alice');
    bob = await h.project('bob');
  });
  after(() => h.close());

  const create = async (body: Record<string, unknown> = {}, token = alice.token): Promise<string> => {
    const r = await h.request('POST', '/v2/images', { token, body: { disk_format: 'raw', container_format: 'bare', ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const storeFiles = (): string[] => readdirSync(`${h.dataDir}/images`).filter((f) => f !== 'staging');

  it('uploads, activates with md5/sha512/size/virtual_size, downloads identical bytes', async () => {
    const id = await create();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const up = await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: data });
    assert.equal(up.status, 204, up.text);
    const img = (await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body;
    assert.equal(img.status, 'active');
    assert.equal(img.size, data.length);
    assert.equal(img.virtual_size, data.length);
    assert.equal(img.checksum, createHash('md5').update(data).digest('hex'));
    assert.equal(img.os_hash_algo, 'sha512');
    assert.equal(img.os_hash_value, createHash('sha512').update(data).digest('hex'));
    const down = await h.request('GET', `/v2/images/${id}/file`, { token: alice.token });
    assert.equal(down.status, 200);
    assert.equal(down.headers.get('content-md5'), img.checksum);
    assert.equal(down.headers.get('content-type'), 'application/octet-stream');
    assert.ok(down.bytes.equals(data));
    const part = await h.request('GET', `/v2/images/${id}/file`, { token: alice.token, headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${data.length}`);
    assert.ok(part.bytes.equals(data.subarray(10, 20)));
    const tail = await h.request('GET', `/v2/images/${id}/file`, { token: alice.token, headers: { range: 'bytes=-5' } });
    assert.ok(tail.bytes.equals(data.subarray(data.length - 5)));
    const bad = await h.request('GET', `/v2/images/${id}/file`, { token: alice.token, headers: { range: `bytes=${data.length}-` } });
    assert.equal(bad.status, 416);
    // A second upload to an active image is a conflict.
    assert.equal((await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: data })).status, 409);
  });

  it('accepts a chunked upload without Content-Length', async () => {
    const id = await create();
    const chunks = [randomBytes(100_000), randomBytes(50_000)];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const x of chunks) c.enqueue(x);
        c.close();
      },
    });
    const up = await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: stream });
    assert.equal(up.status, 204, up.text);
    assert.equal((await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body.size, 150_000);
  });

  it('a queued image downloads as 204; others cannot upload to or see a private image', async () => {
    const id = await create({ visibility: 'private' });
    assert.equal((await h.request('GET', `/v2/images/${id}/file`, { token: alice.token })).status, 204);
    assert.equal(
      (await h.request('PUT', `/v2/images/${id}/file`, { token: bob.token, headers: OCTET, raw: Buffer.from('x') })).status,
      404,
    );
    assert.equal((await h.request('GET', `/v2/images/${id}/file`, { token: bob.token })).status, 404);
  });

  it('needs formats before data; refuses non-octet-stream bodies', async () => {
    const r = await h.request('POST', '/v2/images', { token: alice.token, body: { name: 'noformat' } });
    const up = await h.request('PUT', `/v2/images/${r.body.id}/file`, { token: alice.token, headers: OCTET, raw: Buffer.from('abc') });
    assert.equal(up.status, 400);
    const id = await create();
    const json = await h.request('PUT', `/v2/images/${id}/file`, {
      token: alice.token,
      headers: { 'content-type': 'application/json' },
      raw: Buffer.from('{}'),
    });
    assert.equal(json.status, 415);
  });

  it('rejects a qcow2 with a backing file and content that is not its declared format; nothing is kept', async () => {
    const before = storeFiles().length;
    const bad = await create({ disk_format: 'qcow2' });
    const withBacking = Buffer.concat([qcow2Header(1 << 20, 200), Buffer.alloc(4096)]);
    // Glance answers content that fails inspection with 415 (InvalidImageData).
    const r = await h.request('PUT', `/v2/images/${bad}/file`, { token: alice.token, headers: OCTET, raw: withBacking });
    assert.equal(r.status, 415, r.text);
    assert.equal((await h.request('GET', `/v2/images/${bad}`, { token: alice.token })).body.status, 'queued');
    const mismatch = await create({ disk_format: 'qcow2' });
    const r2 = await h.request('PUT', `/v2/images/${mismatch}/file`, { token: alice.token, headers: OCTET, raw: randomBytes(8192) });
    assert.equal(r2.status, 415, r2.text);
    const asRaw = await create({ disk_format: 'raw' });
    // Declared raw, any safe content is raw data; a qcow2 naming a backing file is unsafe whatever was declared.
    const r3 = await h.request('PUT', `/v2/images/${asRaw}/file`, { token: alice.token, headers: OCTET, raw: withBacking });
    assert.equal(r3.status, 415, r3.text);
    assert.equal(storeFiles().length, before);
  });

  it('an upload cut off midway leaves the image queued and no file; a retry then succeeds', async () => {
    const id = await create();
    const before = storeFiles().length;
    const port = new URL(h.url).port;
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/v2/images/${id}/file`,
        headers: { ...OCTET, 'content-length': String(10 * 1024 * 1024), 'x-auth-token': alice.token },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(1024 * 1024), () => {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
    });
    let status = '';
    for (let i = 0; i < 50 && status !== 'queued'; i++) {
      await sleep(50);
      status = (await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body.status;
    }
    assert.equal(status, 'queued');
    assert.equal(storeFiles().length, before);
    assert.equal(readdirSync(`${h.dataDir}/images`).filter((f) => f.endsWith('.partial')).length, 0);
    const retry = await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: Buffer.from('retry') });
    assert.equal(retry.status, 204);
  });

  it('two concurrent uploads to one image: the second gets 409', async () => {
    const id = await create();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(randomBytes(64 * 1024));
        await gate;
        c.enqueue(randomBytes(64 * 1024));
        c.close();
      },
    });
    const first = h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: slow });
    let saving = '';
    for (let i = 0; i < 50 && saving !== 'saving'; i++) {
      await sleep(20);
      saving = (await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body.status;
    }
    assert.equal(saving, 'saving');
    const second = await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: Buffer.from('second') });
    assert.equal(second.status, 409, second.text);
    release();
    assert.equal((await first).status, 204);
    assert.equal((await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body.size, 128 * 1024);
  });

  it('enforces the project storage quota with 413 and keeps nothing', async () => {
    const id = await create();
    const r = await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: Buffer.alloc(65 * 1024 * 1024) });
    assert.equal(r.status, 413, r.text);
    assert.equal((await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body.status, 'queued');
  });

  it('deactivated images: owner or admin only, download forbidden to non-admins, reactivate', async () => {
    const id = await create({ visibility: 'community' });
    await h.request('PUT', `/v2/images/${id}/file`, { token: alice.token, headers: OCTET, raw: Buffer.from('data') });
    assert.equal((await h.request('POST', `/v2/images/${id}/actions/deactivate`, { token: bob.token })).status, 403);
    assert.equal((await h.request('POST', `/v2/images/${id}/actions/deactivate`)).status, 204);
    assert.equal((await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body.status, 'deactivated');
    assert.equal((await h.request('GET', `/v2/images/${id}/file`, { token: bob.token })).status, 403);
    assert.equal((await h.request('GET', `/v2/images/${id}/file`)).status, 200);
    assert.equal((await h.request('POST', `/v2/images/${id}/actions/reactivate`)).status, 204);
    assert.equal((await h.request('GET', `/v2/images/${id}/file`, { token: bob.token })).text, 'data');
  });

  it('glance-direct: stage, import, active', async () => {
    const id = await create();
    const data = randomBytes(200_000);
    assert.equal((await h.request('PUT', `/v2/images/${id}/stage`, { token: alice.token, headers: OCTET, raw: data })).status, 204);
    assert.equal((await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body.status, 'uploading');
    const imp = await h.request('POST', `/v2/images/${id}/import`, { token: alice.token, body: { method: { name: 'glance-direct' } } });
    assert.equal(imp.status, 202, imp.text);
    let img: { status: string; checksum: string } = { status: '', checksum: '' };
    for (let i = 0; i < 100 && img.status !== 'active'; i++) {
      await sleep(20);
      img = (await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body;
    }
    assert.equal(img.status, 'active');
    assert.equal(img.checksum, createHash('md5').update(data).digest('hex'));
    // The staged copy is removed after the image is active (the import's last step): wait for it, bounded.
    for (let i = 0; i < 100 && readdirSync(`${h.dataDir}/images/staging`).length > 0; i++) await sleep(20);
    assert.deepEqual(readdirSync(`${h.dataDir}/images/staging`), []);
    const info = await h.request('GET', '/v2/info/import', { token: alice.token });
    assert.deepEqual(info.body['import-methods'].value, ['glance-direct', 'web-download']);
  });

  it('web-download imports from an http URL; a failing URL leaves the image queued', async () => {
    const data = randomBytes(300_000);
    const server: Server = createServer((req, res) => {
      if (req.url === '/img.raw') res.end(data);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const id = await create();
      const imp = await h.request('POST', `/v2/images/${id}/import`, {
        token: alice.token,
        body: { method: { name: 'web-download', uri: `${base}/img.raw` } },
      });
      assert.equal(imp.status, 202, imp.text);
      let img: { status: string; size: number } = { status: '', size: 0 };
      for (let i = 0; i < 100 && img.status !== 'active'; i++) {
        await sleep(20);
        img = (await h.request('GET', `/v2/images/${id}`, { token: alice.token })).body;
      }
      assert.equal(img.status, 'active');
      assert.equal(img.size, data.length);
      const missing = await create();
      await h.request('POST', `/v2/images/${missing}/import`, {
        token: alice.token,
        body: { method: { name: 'web-download', uri: `${base}/nope` } },
      });
      let st = 'importing';
      for (let i = 0; i < 100 && st === 'importing'; i++) {
        await sleep(20);
        st = (await h.request('GET', `/v2/images/${missing}`, { token: alice.token })).body.status;
      }
      assert.equal(st, 'queued');
      const badScheme = await h.request('POST', `/v2/images/${missing}/import`, {
        token: alice.token,
        body: { method: { name: 'web-download', uri: 'file:///etc/passwd' } },
      });
      assert.equal(badScheme.status, 400);
      const badMethod = await h.request('POST', `/v2/images/${missing}/import`, {
        token: alice.token,
        body: { method: { name: 'copy-image' } },
      });
      assert.equal(badMethod.status, 400);
    } finally {
      server.close();
    }
  });
});
