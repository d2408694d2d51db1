import type { Bus } from '../../lib/bus/bus.js';
import type { ServiceSession } from '../../lib/clients/service-session.js';
import type { ComputeConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { ComputeKysely } from '../store/compute-database.js';
import type { ResourceServices } from './resource-services.js';

export interface ServerServicesDeps {
  config: ComputeConfig;
  db: ComputeKysely;
  policy: PolicyEngine;
  log: Logger;
  bus: Bus;
  /** Service-user session: placement and image calls of the conductor. */
  session: ServiceSession;
  resources: ResourceServices;
}

/** Servers, their actions and the conductor (filled in by the servers part). */
export interface ServerServices {
  /** Starts serving the conductor topic and the build watchdog. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createServerServices(_deps: ServerServicesDeps): ServerServices {
  return { start: async () => {}, close: async () => {} };
}
