/**
 * The metadata proxy a DHCP namespace runs (as Neutron's
 * neutron-ns-metadata-proxy): listens on 169.254.169.254:80 inside the
 * namespace and hands each request to the agent's metadata server over its
 * unix socket, saying which network it came from and from which address.
 *
 *   node metadata-proxy.js --socket <path> --network <id> [--listen 169.254.169.254:80]
 */
import { createServer, request } from 'node:http';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (!v) throw new Error(`--${name} is required`);
  return v;
}

const socketPath = arg('socket');
const network = arg('network');
const [host, port] = arg('listen', '169.254.169.254:80').split(':');

const server = createServer((req, res) => {
  // GET and HEAD for metadata, POST for a guest's password; the server judges paths and sizes.
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const upstream = request(
    {
      socketPath,
      path: req.url ?? '/',
      method: req.method,
      headers: {
        'x-forwarded-for': req.socket.remoteAddress ?? '',
        'x-kumo-network-id': network,
        ...(req.headers['content-length'] ? { 'content-length': req.headers['content-length'] } : {}),
      },
      timeout: 10_000,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'text/plain' });
      up.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  if (req.method === 'POST') req.pipe(upstream);
  else upstream.end();
});
server.listen(Number(port), host);
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.close(() => process.exit(0)));
