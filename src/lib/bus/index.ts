import { KumoError } from '../errors.js';
import { AmqpBus } from './amqp-bus.js';
import type { Bus, BusLogger } from './bus.js';
import { InProcessBus } from './in-process-bus.js';

export type { Bus, BusHandler, BusLogger, BusSubscription, BusTarget } from './bus.js';
export { AmqpBus, type AmqpBusConfig } from './amqp-bus.js';
export { InProcessBus } from './in-process-bus.js';

/**
 * Opens the bus a URL names: none or `memory://` for the in-process bus,
 * `amqp://` or `amqps://` for RabbitMQ (connected before this resolves).
 */
export async function openBus(url: string | undefined, opts: { exchange?: string; logger?: BusLogger } = {}): Promise<Bus> {
  if (url === undefined || url === 'memory://') return new InProcessBus({ logger: opts.logger });
  if (/^amqps?:\/\//i.test(url)) return AmqpBus.connect({ url, ...opts });
  // Only the scheme: the rest of a bus URL may hold a password.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'none';
  throw new KumoError('bus_bad_url', 500, `Unsupported bus URL scheme "${scheme}" (use memory:// or amqp://).`);
}
