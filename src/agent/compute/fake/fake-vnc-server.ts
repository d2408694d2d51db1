import { createServer, type Server, type Socket } from 'node:net';

/**
 * The fake driver's console: a minimal RFB 3.8 server in the agent process
 * (no guest, no QEMU), so console URLs of fake servers lead somewhere real —
 * the proxy, noVNC and clients that check the RFB handshake work against it.
 * No authentication (security type None, as QEMU's `-vnc` without a
 * password), one static screen of WIDTH × HEIGHT in the server's name colour,
 * sent whole on every non-incremental update request; input is read and
 * dropped.
 */
const WIDTH = 320;
const HEIGHT = 200;
/** Client-to-server message lengths (RFC 6143 §7.5); null: length depends on the body. */
const FIXED_LENGTH: Readonly<Record<number, number>> = { 0: 20, 3: 10, 4: 8, 5: 6 };

export class FakeVncServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #listening: Promise<number> | undefined;

  constructor(private readonly host: string) {
    this.#server = createServer((socket) => this.#serve(socket));
  }

  /** The port, once listening (started on first use). */
  port(): Promise<number> {
    this.#listening ??= new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, this.host, () => resolve((this.#server.address() as { port: number }).port));
    });
    return this.#listening;
  }

  async close(): Promise<void> {
    if (!this.#listening) return;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.write('RFB 003.008\n');
    let stage: 'version' | 'security' | 'init' | 'normal' = 'version';
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (stage === 'version') {
          if (buf.length < 12) return;
          buf = buf.subarray(12);
          socket.write(Buffer.from([1, 1])); // one security type: None
          stage = 'security';
        } else if (stage === 'security') {
          if (buf.length < 1) return;
          if (buf[0] !== 1) return void socket.destroy();
          buf = buf.subarray(1);
          socket.write(Buffer.alloc(4)); // SecurityResult: OK
          stage = 'init';
        } else if (stage === 'init') {
          if (buf.length < 1) return;
          buf = buf.subarray(1); // ClientInit (shared flag)
          socket.write(serverInit('kumo fake console'));
          stage = 'normal';
        } else {
          if (buf.length < 1) return;
          const type = buf[0]!;
          let len = FIXED_LENGTH[type];
          if (type === 2) len = buf.length >= 4 ? 4 + 4 * buf.readUInt16BE(2) : undefined;
          else if (type === 6) len = buf.length >= 8 ? 8 + buf.readUInt32BE(4) : undefined;
          else if (len === undefined) return void socket.destroy(); // not RFB
          if (len === undefined || buf.length < len) return;
          if (type === 3 && buf[1] === 0) socket.write(fullFrame());
          buf = buf.subarray(len);
        }
      }
    });
  }
}

/** ServerInit: size, 32-bit true-colour little-endian pixel format, name. */
function serverInit(name: string): Buffer {
  const n = Buffer.from(name);
  const b = Buffer.alloc(24 + n.length);
  b.writeUInt16BE(WIDTH, 0);
  b.writeUInt16BE(HEIGHT, 2);
  Buffer.from([32, 24, 0, 1]).copy(b, 4); // bpp, depth, big-endian no, true-colour yes
  b.writeUInt16BE(255, 8);
  b.writeUInt16BE(255, 10);
  b.writeUInt16BE(255, 12);
  Buffer.from([16, 8, 0]).copy(b, 14); // red, green, blue shifts
  b.writeUInt32BE(n.length, 20);
  n.copy(b, 24);
  return b;
}

/** FramebufferUpdate: one raw rectangle covering the screen, a flat grey-blue. */
function fullFrame(): Buffer {
  const header = Buffer.alloc(16);
  header[0] = 0; // FramebufferUpdate
  header.writeUInt16BE(1, 2);
  header.writeUInt16BE(WIDTH, 8);
  header.writeUInt16BE(HEIGHT, 10);
  header.writeInt32BE(0, 12); // raw encoding
  const pixels = Buffer.alloc(WIDTH * HEIGHT * 4);
  for (let i = 0; i < pixels.length; i += 4) pixels.writeUInt32LE(0x00405880, i);
  return Buffer.concat([header, pixels]);
}
