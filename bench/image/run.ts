/**
 * Image data path benchmark (`npm run bench:image`): a real `kumo up`, one
 * image of IMAGE_GIB GiB (default 1) uploaded and downloaded over HTTP on
 * 127.0.0.1, compared with the md5+sha512 rate of this machine measured in
 * the same run (the work every upload must do), and the server's RSS growth
 * while the upload streams. Prints a JSON report; docs/benchmarks.md records it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuilt, freePort, readAdminOpenrc, startKumo } from '../identity/kumo-process.js';
import { machineInfo, memoryOf } from '../lib/proc-stats.js';
import { issuePasswordToken, openrcLogin } from '../../test/support/kumo-cli.js';

const GIB = 2 ** 30;
const MIB = 2 ** 20;
const SIZE = Math.round(Number(process.env.IMAGE_GIB ?? '1') * GIB);
const CHUNK = MIB;
/** Random content from a pool (so the data is not trivially compressible), cycled with an offset. */
const POOL = randomBytes(17 * MIB);

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

function* chunks(total: number): Generator<Buffer> {
  let sent = 0;
  let i = 0;
  while (sent < total) {
    const n = Math.min(CHUNK, total - sent);
    const off = (i++ * 4099) % (POOL.length - CHUNK);
    yield POOL.subarray(off, off + n);
    sent += n;
  }
}

/** MB/s (10^6 bytes) of md5 and sha512 over the same data, one after the other on one thread, as a store on one core must. */
function hashingRate(total: number): { mbPerS: number; md5MbPerS: number; sha512MbPerS: number } {
  const time = (algo: string): number => {
    const h = createHash(algo);
    const t0 = performance.now();
    for (const c of chunks(total)) h.update(c);
    h.digest();
    return (performance.now() - t0) / 1000;
  };
  const md5 = time('md5');
  const sha = time('sha512');
  return { mbPerS: total / 1e6 / (md5 + sha), md5MbPerS: total / 1e6 / md5, sha512MbPerS: total / 1e6 / sha };
}

async function main(): Promise<void> {
  ensureBuilt(log);
  const machine = machineInfo();
  log(`hashing reference over ${SIZE / GIB} GiB`);
  const hashing = hashingRate(SIZE);
  const dataDir = mkdtempSync(join(process.env.BENCH_DIR ?? '/var/tmp', 'kumo-bench-image-'));
  const imagePort = await freePort();
  const kumo = await startKumo({ dataDir, imagePort });
  try {
    const openrc = readAdminOpenrc(dataDir);
    const authUrl = openrc.OS_AUTH_URL as string;
    const tok = (await issuePasswordToken(authUrl, openrcLogin(openrc))).token;
    const base = `http://127.0.0.1:${imagePort}`;
    const created = await fetch(`${base}/v2/images`, {
      method: 'POST',
      headers: { 'x-auth-token': tok, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', disk_format: 'raw', container_format: 'bare' }),
    });
    const id = ((await created.json()) as { id: string }).id;

    const rssBefore = memoryOf(kumo.pid).rssMiB;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, memoryOf(kumo.pid).rssMiB)), 50);
    // The client must not steal the server's CPU on a 2-core machine: curl sends a file from the page cache.
    const source = join(dataDir, 'upload.bin');
    const fd = openSync(source, 'w');
    for (const c of chunks(SIZE)) writeSync(fd, c);
    closeSync(fd);
    log('uploading');
    const t0 = performance.now();
    const upStatus = await new Promise<number>((resolve, reject) => {
      execFile(
        'curl',
        [
          '-sS',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-X',
          'PUT',
          '-T',
          source,
          '-H',
          `x-auth-token: ${tok}`,
          '-H',
          'content-type: application/octet-stream',
          '-H',
          'expect:',
          `${base}/v2/images/${id}/file`,
        ],
        (err, stdout) => (err ? reject(err) : resolve(Number(stdout))),
      );
    });
    const uploadS = (performance.now() - t0) / 1000;
    rmSync(source);
    clearInterval(sampler);
    if (upStatus !== 204) throw new Error(`upload answered ${upStatus}`);
    const rssAfterUpload = memoryOf(kumo.pid).rssMiB;

    log('downloading');
    // Node's fetch is the download client: it only counts bytes.
    const t1 = performance.now();
    const down = await fetch(`${base}/v2/images/${id}/file`, { headers: { 'x-auth-token': tok } });
    let received = 0;
    for await (const c of down.body as unknown as AsyncIterable<Uint8Array>) received += c.length;
    const downloadS = (performance.now() - t1) / 1000;
    if (received !== SIZE) throw new Error(`download returned ${received} of ${SIZE} bytes`);

    const uploadMbPerS = SIZE / 1e6 / uploadS;
    const report = {
      machine,
      sizeBytes: SIZE,
      hashing,
      upload: { seconds: uploadS, mbPerS: uploadMbPerS, ratioToHashing: uploadMbPerS / hashing.mbPerS },
      download: { seconds: downloadS, mbPerS: SIZE / 1e6 / downloadS },
      serverRssMiB: { beforeUpload: rssBefore, peakDuringUpload: rssPeak, growth: rssPeak - rssBefore, afterUpload: rssAfterUpload },
      targets: { uploadRatio: '>= 0.80 of hashing', rssGrowthMiB: '< 64' },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await kumo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
