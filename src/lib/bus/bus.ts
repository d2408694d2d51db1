/**
 * The message bus: how Kumo services reach agents and each other without
 * sharing tables. Semantics follow oslo.messaging: a *topic* is served by any
 * number of competing servers, each server can also be addressed on its own
 * (`topic.server`), and a fanout reaches every server of a topic.
 *
 * Two implementations honour this contract (see bus.contract.test.ts):
 * `InProcessBus` for `kumo up` and tests, `AmqpBus` for RabbitMQ.
 */
import { KumoError } from '../errors.js';

/**
 * Serves one method. `args` is the caller's payload, already a private copy
 * (JSON round trip), so a handler may mutate it. The return value is sent back
 * to a `call` and must survive JSON serialization; it is ignored for `cast`
 * and `fanout`. Throwing a {@link KumoError} sends its code, status and message
 * to the caller.
 */
export type BusHandler = (args: Record<string, unknown>, ctx: { method: string; topic: string }) => Promise<unknown> | unknown;

/** Where a message goes. */
export interface BusTarget {
  /** Service topic, e.g. `compute` or `conductor`. */
  topic: string;
  /**
   * One server of the topic, e.g. a hypervisor host name. Messages then go
   * only to that server's queue (`topic.server`) instead of any server.
   */
  server?: string;
}

/** A running server started by {@link Bus.serve}. */
export interface BusSubscription {
  /**
   * Stops delivery to this server. Handlers already running finish on their
   * own; messages not yet handed to them go to another server or are dropped.
   */
  close(): Promise<void>;
}

/** Structured logger (a pino logger fits). */
export interface BusLogger {
  warn(obj: object, msg: string): void;
}

export interface Bus {
  /**
   * RPC: deliver to exactly one server of `target` and await its return value
   * (JSON-serializable). Rejects with a KumoError:
   * - `bus_timeout` (504) after `timeoutMs` (default 30000), also when no
   *   server listens: the message is dropped as a broker drops unroutable ones;
   * - the remote error's code/status/message if the handler threw a KumoError,
   *   `remote_error` (500) for any other error;
   * - `bus_no_handler` (500) if the server has no handler for `method`;
   * - `bus_disconnected` (503) if the bus closes or loses its broker first.
   */
  call<T = unknown>(target: BusTarget, method: string, args: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<T>;

  /**
   * Fire-and-forget to exactly one server of `target`. Resolves once the
   * message is accepted (by the broker, for AMQP), not when it is handled.
   * Dropped silently when no server listens; handler errors are only logged.
   */
  cast(target: BusTarget, method: string, args: Record<string, unknown>): Promise<void>;

  /** Deliver to every server listening on `topic` (fire-and-forget). */
  fanout(topic: string, method: string, args: Record<string, unknown>): Promise<void>;

  /**
   * Serve a topic: competing consumer on `topic`, exclusive on `topic.server`
   * when `server` is given (a second server of that name is refused with
   * `bus_server_taken`, 409), and receives every fanout of `topic`.
   * Resolves once messages published afterwards will be delivered.
   */
  serve(target: BusTarget, handlers: Record<string, BusHandler>): Promise<BusSubscription>;

  /**
   * Closes every subscription, rejects pending calls with `bus_disconnected`
   * and releases all handles. Idempotent; later calls reject.
   */
  close(): Promise<void>;
}

// ---- Helpers shared by the implementations (not part of the contract). ----

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** An error as it travels back to a caller. */
export interface WireError {
  code: string;
  status: number;
  message: string;
}

/** Outcome of one handler invocation, as sent in a reply. */
export type WireReply = { ok: true; result?: unknown } | { ok: false; error: WireError };

/** Deep copy through JSON, so both buses hand out exactly what AMQP would. */
export function jsonClone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export const busTimeout = (target: BusTarget, method: string, ms: number): KumoError =>
  new KumoError('bus_timeout', 504, `No reply to ${method} on ${routingKey(target)} within ${ms} ms.`);

export const busDisconnected = (why: string): KumoError => new KumoError('bus_disconnected', 503, `Message bus unavailable: ${why}.`);

export const busServerTaken = (target: BusTarget): KumoError =>
  new KumoError('bus_server_taken', 409, `${routingKey(target)} is already served.`);

/** `topic` or `topic.server`: the routing key and queue suffix of a target. */
export function routingKey(target: BusTarget): string {
  return target.server ? `${target.topic}.${target.server}` : target.topic;
}

/** Rebuilds the caller-side error from a reply. */
export function fromWire(e: WireError): KumoError {
  return new KumoError(e.code, e.status, e.message);
}

/**
 * Runs the handler for `method` and captures its outcome as a reply. Never
 * throws. Failures of one-way messages are logged, since nobody else sees them.
 */
export async function dispatch(
  handlers: Record<string, BusHandler>,
  method: string,
  args: Record<string, unknown>,
  topic: string,
  oneWay: boolean,
  logger?: BusLogger,
): Promise<WireReply> {
  let reply: WireReply;
  // hasOwn: a method named "toString" must not reach Object.prototype.
  const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
  if (!handler) {
    reply = { ok: false, error: { code: 'bus_no_handler', status: 500, message: `No handler for ${method} on ${topic}.` } };
  } else {
    try {
      reply = { ok: true, result: jsonClone(await handler(args, { method, topic })) };
    } catch (err) {
      reply = { ok: false, error: toWire(err) };
      if (!(err instanceof KumoError)) logger?.warn({ err, topic, method }, 'bus handler failed');
    }
  }
  if (oneWay && !reply.ok) logger?.warn({ topic, method, error: reply.error }, 'one-way bus message failed');
  return reply;
}

function toWire(err: unknown): WireError {
  if (err instanceof KumoError) return { code: err.code, status: err.status, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'remote_error', status: 500, message };
}
