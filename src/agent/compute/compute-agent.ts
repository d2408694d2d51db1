import type { Bus } from '../../lib/bus/bus.js';
import type { ServiceSession } from '../../lib/clients/service-session.js';
import type { KumoConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';

/** A running compute agent (filled in by the agent part). */
export interface ComputeAgent {
  close(): Promise<void>;
}

export interface ComputeAgentDeps {
  logger: Logger;
  bus: Bus;
  /** Service-user session: placement (resource provider) and image (downloads) calls. */
  session: ServiceSession;
}

export async function startComputeAgent(_config: KumoConfig, _deps: ComputeAgentDeps): Promise<ComputeAgent> {
  throw new Error('not built yet');
}
