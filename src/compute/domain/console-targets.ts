import type { InstanceSpec } from '../../lib/rpc/compute-rpc.js';
import type { ComputeCaller } from './caller.js';

/** A server as the console service needs it. */
export interface ConsoleTarget {
  uuid: string;
  /** Compute host (agent) running the server; null until scheduled. */
  host: string | null;
  /** Nova API status (ACTIVE, BUILD, SHUTOFF, ...). */
  status: string;
  /** What the agent needs to find the guest's VNC server. */
  instance: InstanceSpec;
}

/**
 * CONTRACT with the servers part: looks servers up for the console API. The
 * servers service implements it; consoles never read the instances table.
 */
export interface ConsoleTargets {
  /** The server `serverId` as `caller` sees it; KumoError 404 when missing or not visible to the caller. */
  resolve(caller: ComputeCaller, serverId: string): Promise<ConsoleTarget>;
}
