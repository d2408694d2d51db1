import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from 'amqplib';
import { KumoError } from '../errors.js';
import {
  DEFAULT_CALL_TIMEOUT_MS,
  busDisconnected,
  busServerTaken,
  busTimeout,
  dispatch,
  fromWire,
  routingKey,
  type Bus,
  type BusHandler,
  type BusLogger,
  type BusSubscription,
  type BusTarget,
  type WireReply,
} from './bus.js';

export interface AmqpBusConfig {
  /** Broker URL, `amqp://user:pass@host:5672/vhost` (or `amqps://`). */
  url: string;
  /**
   * Topic exchange for all direct and topic traffic (default `kumo`). It also
   * prefixes every queue and fanout exchange name, so deployments (or test
   * runs) with different exchanges never see each other's messages.
   */
  exchange?: string;
  logger?: BusLogger;
}

/** A request on the wire; `v` lets the format evolve. */
interface WireMessage {
  v: 1;
  method: string;
  args: Record<string, unknown>;
  reply_to?: string;
  correlation_id?: string;
}

type WireResponse = WireReply & { v: 1; correlation_id: string };

interface Link {
  conn: ChannelModel;
  /** This process's exclusive reply queue for `call`. */
  replyQueue: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Unacknowledged deliveries per server; bounds what a broker pushes at once. */
const PREFETCH = 64;
const CONNECT_TIMEOUT_MS = 10_000;
const silent: BusLogger = { warn: () => {} };
const noop = (): void => {};

/**
 * The bus over RabbitMQ (AMQP 0-9-1), laid out as oslo.messaging does: topic
 * exchange `<exchange>` with a shared queue per topic and an exclusive queue
 * per `topic.server`; fanout exchange `<exchange>_fanout_<topic>` with one
 * exclusive queue per server; replies through the default exchange to a
 * per-process exclusive queue, matched by correlation ID.
 *
 * Queues are non-durable and auto-delete for now: a message for a topic with
 * no live server is dropped, as with the in-process bus. Exchanges are
 * non-durable but not auto-delete, so a publisher's declaration stays valid. Requests are acked on
 * receipt (at-most-once, like oslo), so a crashed server never runs one twice.
 * Publishes wait for broker confirms. A lost connection is not re-established:
 * pending calls and every later operation reject with `bus_disconnected`.
 */
export class AmqpBus implements Bus {
  readonly #config: Required<AmqpBusConfig>;
  #link: Promise<Link> | undefined;
  #pub: Promise<ConfirmChannel> | undefined;
  /** Set once closed or disconnected; every later operation rejects with it. */
  #down: KumoError | undefined;
  readonly #pending = new Map<string, Pending>();
  /** `topic.server` names served on this connection (the broker only guards other connections). */
  readonly #served = new Set<string>();
  /** Fanout exchanges already declared by this publisher. */
  readonly #fanouts = new Set<string>();

  constructor(config: AmqpBusConfig) {
    this.#config = { url: config.url, exchange: config.exchange ?? 'kumo', logger: config.logger ?? silent };
  }

  /** Connects (and declares the exchange and reply queue) before returning. */
  static async connect(config: AmqpBusConfig): Promise<AmqpBus> {
    const bus = new AmqpBus(config);
    await bus.#connection();
    return bus;
  }

  async call<T = unknown>(target: BusTarget, method: string, args: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<T> {
    const { replyQueue } = await this.#connection();
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const id = randomUUID();
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => this.#take(id)?.reject(busTimeout(target, method, timeoutMs)), timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
    });
    const msg: WireMessage = { v: 1, method, args, reply_to: replyQueue, correlation_id: id };
    // The TTL drops requests no server picked up before the caller gave up.
    this.#publish(this.#config.exchange, routingKey(target), msg, { expiration: String(timeoutMs) }).catch((err: Error) =>
      this.#take(id)?.reject(err),
    );
    return reply as Promise<T>;
  }

  async cast(target: BusTarget, method: string, args: Record<string, unknown>): Promise<void> {
    await this.#publish(this.#config.exchange, routingKey(target), { v: 1, method, args });
  }

  async fanout(topic: string, method: string, args: Record<string, unknown>): Promise<void> {
    const exchange = `${this.#config.exchange}_fanout_${topic}`;
    if (!this.#fanouts.has(exchange)) {
      // Publishing to a missing exchange would kill the channel: declare first.
      await (await this.#publisher()).assertExchange(exchange, 'fanout', { durable: false });
      this.#fanouts.add(exchange);
    }
    await this.#publish(exchange, '', { v: 1, method, args });
  }

  async serve(target: BusTarget, handlers: Record<string, BusHandler>): Promise<BusSubscription> {
    const { conn } = await this.#connection();
    const ex = this.#config.exchange;
    const server = target.server === undefined ? undefined : routingKey(target);
    if (server !== undefined) {
      if (this.#served.has(server)) throw busServerTaken(target);
      this.#served.add(server);
    }
    const own = { ...handlers };
    let closed = false;
    // One channel per server: a channel error (say, a name taken elsewhere) stays local.
    let ch: Channel | undefined;
    try {
      const channel = (ch = await conn.createChannel());
      channel.on('error', (err: Error) => this.#config.logger.warn({ err, topic: target.topic }, 'AMQP server channel error'));
      await channel.prefetch(PREFETCH);
      const consume = async (queue: string, exclusive: boolean, source: string, key: string): Promise<void> => {
        await channel.assertQueue(queue, { durable: false, autoDelete: true, exclusive });
        await channel.bindQueue(queue, source, key);
        await channel.consume(queue, (m) => this.#onRequest(channel, m, own, target.topic, closed));
      };
      await consume(`${ex}.${target.topic}`, false, ex, target.topic);
      if (server !== undefined) await consume(`${ex}.${server}`, true, ex, server);
      const fanout = `${ex}_fanout_${target.topic}`;
      await channel.assertExchange(fanout, 'fanout', { durable: false });
      await consume(`${ex}.${target.topic}_fanout_${randomUUID()}`, true, fanout, '');
    } catch (err) {
      if (server !== undefined) this.#served.delete(server);
      ch?.close().catch(noop);
      // 405 RESOURCE_LOCKED: another connection holds the exclusive topic.server queue.
      if ((err as { code?: unknown }).code === 405) throw busServerTaken(target);
      if (err instanceof KumoError) throw err;
      throw new KumoError('bus_error', 500, `Cannot serve ${routingKey(target)}: ${(err as Error).message}`);
    }
    const channel = ch;
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        if (server !== undefined) this.#served.delete(server);
        // Cancels the consumers; unacked deliveries return to their queues.
        await channel.close().catch(noop);
      },
    };
  }

  async close(): Promise<void> {
    this.#down ??= busDisconnected('bus closed');
    this.#failPending(busDisconnected('bus closed'));
    this.#served.clear();
    const link = this.#link;
    this.#link = undefined;
    this.#pub = undefined;
    // Closing the connection closes every channel, socket and heartbeat timer.
    if (link) await link.then((l) => l.conn.close()).catch(noop);
  }

  #connection(): Promise<Link> {
    if (this.#down) return Promise.reject(this.#down);
    this.#link ??= this.#open().catch((err: unknown) => {
      this.#link = undefined; // let a later operation retry
      throw err;
    });
    return this.#link;
  }

  async #open(): Promise<Link> {
    const { url, exchange, logger } = this.#config;
    let conn: ChannelModel;
    try {
      conn = await amqp.connect(url, {
        timeout: CONNECT_TIMEOUT_MS,
        clientProperties: { connection_name: `kumo pid ${process.pid}` },
      });
    } catch (err) {
      throw busDisconnected(`cannot connect to ${redact(url)} (${(err as Error).message})`);
    }
    conn.on('error', (err: Error) => logger.warn({ err }, 'AMQP connection error'));
    try {
      const ch = await conn.createChannel();
      ch.on('error', (err: Error) => logger.warn({ err }, 'AMQP reply channel error'));
      await ch.assertExchange(exchange, 'topic', { durable: false });
      const { queue } = await ch.assertQueue(`${exchange}.reply_${randomUUID()}`, {
        exclusive: true,
        autoDelete: true,
        durable: false,
      });
      await ch.consume(queue, (m) => this.#onReply(m), { noAck: true });
      // Without the reply channel no call can complete: treat its loss as the connection's.
      ch.on('close', () => this.#lost());
      conn.on('close', () => this.#lost());
      return { conn, replyQueue: queue };
    } catch (err) {
      await conn.close().catch(noop);
      throw busDisconnected(`cannot set up on ${redact(url)} (${(err as Error).message})`);
    }
  }

  #publisher(): Promise<ConfirmChannel> {
    if (!this.#pub) {
      const pub: Promise<ConfirmChannel> = this.#connection().then(async ({ conn }) => {
        const ch = await conn.createConfirmChannel();
        ch.on('error', (err: Error) => this.#config.logger.warn({ err }, 'AMQP publish channel error'));
        // A channel error kills the channel: open a fresh one (and re-declare) next time.
        ch.on('close', () => {
          if (this.#pub !== pub) return;
          this.#pub = undefined;
          this.#fanouts.clear();
        });
        return ch;
      });
      pub.catch(() => {
        if (this.#pub === pub) this.#pub = undefined;
      });
      this.#pub = pub;
    }
    return this.#pub;
  }

  /** Publishes and waits for the broker's confirm. */
  async #publish(exchange: string, key: string, body: WireMessage | WireResponse, opts: Options.Publish = {}): Promise<void> {
    const content = Buffer.from(JSON.stringify(body));
    const ch = await this.#publisher();
    await new Promise<void>((resolve, reject) => {
      const done = (err: unknown): void => {
        if (!err) return resolve();
        reject(this.#down ?? busDisconnected(`publish failed (${err instanceof Error ? err.message : String(err)})`));
      };
      try {
        ch.publish(exchange, key, content, { contentType: 'application/json', ...opts }, done);
      } catch (err) {
        done(err); // channel already closed
      }
    });
  }

  #onRequest(ch: Channel, msg: ConsumeMessage | null, handlers: Record<string, BusHandler>, topic: string, closed: boolean): void {
    if (!msg) {
      this.#config.logger.warn({ topic }, 'AMQP consumer cancelled by the broker');
      return;
    }
    try {
      // Closing: hand the message back for another server.
      if (closed) return ch.nack(msg, false, true);
      ch.ack(msg);
    } catch {
      return; // channel closed under us; the broker requeues unacked messages
    }
    void this.#handle(parse(msg.content), handlers, topic);
  }

  async #handle(m: unknown, handlers: Record<string, BusHandler>, topic: string): Promise<void> {
    const msg = m as Partial<WireMessage> | undefined;
    const replyTo = typeof msg?.reply_to === 'string' ? msg.reply_to : undefined;
    const id = typeof msg?.correlation_id === 'string' ? msg.correlation_id : undefined;
    let reply: WireReply;
    if (msg?.v === 1 && typeof msg.method === 'string' && typeof msg.args === 'object' && msg.args !== null) {
      reply = await dispatch(handlers, msg.method, msg.args, topic, replyTo === undefined, this.#config.logger);
    } else {
      this.#config.logger.warn({ topic, v: msg?.v }, 'unsupported bus message dropped');
      reply = { ok: false, error: { code: 'bus_bad_message', status: 500, message: 'Unsupported bus message.' } };
    }
    if (replyTo === undefined || id === undefined || this.#down) return;
    // The default exchange routes straight to the caller's reply queue.
    await this.#publish('', replyTo, { v: 1, correlation_id: id, ...reply }).catch((err: unknown) =>
      this.#config.logger.warn({ err, topic }, 'bus reply lost'),
    );
  }

  #onReply(msg: ConsumeMessage | null): void {
    if (!msg) return this.#lost();
    const r = parse(msg.content) as Partial<WireResponse> | undefined;
    if (r?.v !== 1 || typeof r.correlation_id !== 'string') {
      this.#config.logger.warn({ v: r?.v }, 'unsupported bus reply dropped');
      return;
    }
    const pending = this.#take(r.correlation_id);
    if (!pending) return; // the call already timed out
    if (r.ok) pending.resolve(r.result);
    else if ('error' in r && r.error) pending.reject(fromWire(r.error));
    else pending.reject(new KumoError('remote_error', 500, 'Malformed bus reply.'));
  }

  #lost(): void {
    if (this.#down) return; // our own close()
    this.#down = busDisconnected('connection to the broker lost');
    this.#config.logger.warn({}, 'AMQP connection lost; message bus is down');
    this.#failPending(this.#down);
    void this.#link?.then((l) => l.conn.close()).catch(noop);
  }

  #take(id: string): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  #failPending(err: KumoError): void {
    for (const id of [...this.#pending.keys()]) this.#take(id)?.reject(err);
  }
}

function parse(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the broker';
  }
}
