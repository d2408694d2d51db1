import type { FastifyInstance } from 'fastify';
import type { KumoConfig } from '../lib/config/config.js';
import type { TokenValidator } from '../lib/http/auth-context.js';
import type { Metrics } from '../lib/http/metrics.js';
import type { Logger } from '../lib/log.js';

/** A ready placement service (filled in by the placement part). */
export interface PlacementServer {
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export interface PlacementServerDeps {
  logger: Logger;
  metrics: Metrics;
  tokens: TokenValidator;
}

export async function createPlacementServer(_config: KumoConfig, _deps: PlacementServerDeps): Promise<PlacementServer> {
  throw new Error('not built yet');
}
