/**
 * The `[image] http_image` Tempest gives to `web-download` imports: a small
 * file on 127.0.0.1, served from this process (nothing to stop by pid, and no
 * traffic leaves the machine). Tempest's default points at the internet.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface HttpImage {
  url: string;
  port: number;
  size: number;
  /** Requests the cloud made, for the report ("was the file fetched at all?"). */
  hits(): number;
  close(): Promise<void>;
}

/** Deterministic bytes, so a run can be compared with the next one. */
function content(size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update('kumo-http-image').digest();
  for (let i = 0; i < size; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export async function startHttpImage(size = 64 * 1024): Promise<HttpImage> {
  const body = content(size);
  const path = '/kumo-tempest.img';
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    if (req.url !== path || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    size,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
