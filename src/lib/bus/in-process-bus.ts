import {
  DEFAULT_CALL_TIMEOUT_MS,
  busDisconnected,
  busServerTaken,
  busTimeout,
  dispatch,
  fromWire,
  jsonClone,
  type Bus,
  type BusHandler,
  type BusLogger,
  type BusSubscription,
  type BusTarget,
} from './bus.js';

interface Server {
  readonly topic: string;
  readonly server: string | undefined;
  readonly handlers: Record<string, BusHandler>;
}

interface Pending {
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A bus inside one process, for `kumo up` and tests. It behaves as the AMQP
 * bus does against a broker: payloads are JSON-copied, delivery happens on a
 * later turn of the event loop (never inside the caller's stack), competing
 * servers of a topic take turns, and a message for a topic nobody serves is
 * dropped — so a `call` to it waits for its timeout, as it would over AMQP.
 */
export class InProcessBus implements Bus {
  readonly #logger: BusLogger | undefined;
  /** Live servers, in the order they started. */
  readonly #servers = new Set<Server>();
  /** Round-robin cursor per topic. */
  readonly #cursors = new Map<string, number>();
  readonly #pending = new Set<Pending>();
  #closed = false;

  constructor(opts: { logger?: BusLogger } = {}) {
    this.#logger = opts.logger;
  }

  async call<T = unknown>(target: BusTarget, method: string, args: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<T> {
    this.#assertOpen();
    const copy = jsonClone(args);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        reject,
        timer: setTimeout(() => settle(() => reject(busTimeout(target, method, timeoutMs))), timeoutMs),
      };
      // Whoever settles first (reply, timeout, close) wins; the rest are no-ops.
      const settle = (fn: () => void): void => {
        if (!this.#pending.delete(pending)) return;
        clearTimeout(pending.timer);
        fn();
      };
      this.#pending.add(pending);
      setImmediate(() => {
        const server = this.#pick(target);
        if (!server) return;
        void dispatch(server.handlers, method, copy, target.topic, false, this.#logger).then((reply) =>
          settle(() => (reply.ok ? resolve(reply.result as T) : reject(fromWire(reply.error)))),
        );
      });
    });
  }

  async cast(target: BusTarget, method: string, args: Record<string, unknown>): Promise<void> {
    this.#assertOpen();
    const copy = jsonClone(args);
    setImmediate(() => {
      const server = this.#pick(target);
      if (server) void dispatch(server.handlers, method, copy, target.topic, true, this.#logger);
    });
  }

  async fanout(topic: string, method: string, args: Record<string, unknown>): Promise<void> {
    this.#assertOpen();
    const copy = jsonClone(args);
    setImmediate(() => {
      if (this.#closed) return;
      for (const s of this.#servers) {
        // Each server gets its own copy, as each AMQP fanout queue would.
        if (s.topic === topic) void dispatch(s.handlers, method, jsonClone(copy), topic, true, this.#logger);
      }
    });
  }

  async serve(target: BusTarget, handlers: Record<string, BusHandler>): Promise<BusSubscription> {
    this.#assertOpen();
    if (target.server !== undefined && this.#find(target)) throw busServerTaken(target);
    const server: Server = { topic: target.topic, server: target.server, handlers: { ...handlers } };
    this.#servers.add(server);
    return {
      close: async () => {
        this.#servers.delete(server);
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#servers.clear();
    for (const p of this.#pending) {
      clearTimeout(p.timer);
      p.reject(busDisconnected('bus closed'));
    }
    this.#pending.clear();
  }

  /** Chooses the server for a delivery, at delivery time. */
  #pick(target: BusTarget): Server | undefined {
    if (this.#closed) return undefined;
    if (target.server !== undefined) return this.#find(target);
    const servers = [...this.#servers].filter((s) => s.topic === target.topic);
    if (servers.length === 0) return undefined;
    const cursor = this.#cursors.get(target.topic) ?? 0;
    this.#cursors.set(target.topic, cursor + 1);
    return servers[cursor % servers.length];
  }

  #find(target: BusTarget): Server | undefined {
    for (const s of this.#servers) if (s.topic === target.topic && s.server === target.server) return s;
    return undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw busDisconnected('bus closed');
  }
}
