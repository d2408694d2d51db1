/**
 * A minimal QMP client: JSON objects, one per line, over the guest's UNIX
 * socket. One connection per operation keeps nothing per server in memory
 * between operations; commands on one connection are answered in order.
 */
import { createConnection, type Socket } from 'node:net';

export interface QmpStatus {
  status: string;
  running: boolean;
}

export class QmpError extends Error {
  constructor(
    readonly qmpClass: string,
    desc: string,
  ) {
    super(`QMP ${qmpClass}: ${desc}`);
    this.name = 'QmpError';
  }
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class QmpClient {
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  readonly #events: { event: string; data?: unknown }[] = [];
  #buffer = '';
  #greeted: Promise<void>;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    let greet!: () => void;
    let fail!: (e: Error) => void;
    this.#greeted = new Promise((res, rej) => {
      greet = res;
      fail = rej;
    });
    let seenGreeting = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      if (this.#buffer.length > 16 << 20) socket.destroy(new Error('QMP reply too large'));
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl).trim();
        this.#buffer = this.#buffer.slice(nl + 1);
        if (!line) continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (!seenGreeting && 'QMP' in msg) {
          seenGreeting = true;
          greet();
        } else if ('event' in msg) {
          if (this.#events.length < 100) this.#events.push({ event: String(msg.event), data: msg.data });
        } else if ('return' in msg) {
          this.#pending.shift()?.resolve(msg.return);
        } else if ('error' in msg) {
          const e = msg.error as { class?: string; desc?: string };
          this.#pending.shift()?.reject(new QmpError(e.class ?? 'GenericError', e.desc ?? 'unknown error'));
        }
      }
    });
    const onGone = (err?: Error) => {
      this.#closed = true;
      const e = err ?? new Error('QMP connection closed');
      fail(e);
      for (const p of this.#pending.splice(0)) p.reject(e);
    };
    socket.on('error', onGone);
    socket.on('close', () => onGone());
  }

  /** Connects, waits for the greeting and negotiates capabilities. */
  static async connect(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = createConnection(path);
    const client = new QmpClient(socket);
    const timer = setTimeout(() => socket.destroy(new Error(`QMP ${path}: no greeting within ${timeoutMs} ms`)), timeoutMs);
    try {
      await client.#greeted;
      await client.execute('qmp_capabilities');
    } catch (e) {
      socket.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** Runs one command and resolves with its `return` value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('QMP connection closed'));
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ resolve: resolve as (v: unknown) => void, reject });
      this.#socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    });
  }

  async queryStatus(): Promise<QmpStatus> {
    return this.execute<QmpStatus>('query-status');
  }

  /** Asynchronous events received so far (bounded). */
  get events(): readonly { event: string; data?: unknown }[] {
    return this.#events;
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** Connects, runs `fn`, always closes. */
export async function withQmp<T>(path: string, fn: (qmp: QmpClient) => Promise<T>): Promise<T> {
  const qmp = await QmpClient.connect(path);
  try {
    return await fn(qmp);
  } finally {
    qmp.close();
  }
}
