import type { Bus } from '../../lib/bus/bus.js';
import type { Logger } from '../../lib/log.js';
import { CONDUCTOR_TOPIC } from '../../lib/rpc/compute-rpc.js';
import { NETWORK_AGENT_TOPIC, NETWORK_TOPIC, type AgentReport, type PortsStatus } from '../../lib/rpc/network-rpc.js';
import { hostState } from '../domain/host-state.js';
import type { NetworkServices } from '../domain/network-services.js';

export interface NetworkRpcServer {
  /** Debounced: many changes in one request become one fanout. */
  notifyChanged(): void;
  /** Casts network_changed for a server to the conductor, which refreshes the addresses it shows. */
  notifyServer(serverId: string): void;
  close(): Promise<void>;
}

/** Serves agents: reports, their desired state, port status; tells them when to pull again. */
export async function serveNetworkRpc(bus: Bus, s: NetworkServices, log: Logger): Promise<NetworkRpcServer> {
  const sub = await bus.serve(
    { topic: NETWORK_TOPIC },
    {
      agent_report: async (args) => {
        await s.agents.report(args as unknown as AgentReport);
        return { ok: true };
      },
      host_state: async (args) => hostState(s.context, s.agents, String(args.host)),
      ports_status: async (args) => {
        const st = args as unknown as PortsStatus;
        for (const id of st.up) await s.ports.setStatus(id, 'ACTIVE');
        for (const id of st.down) await s.ports.setStatus(id, 'DOWN');
        return { ok: true };
      },
    },
  );
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  return {
    notifyChanged() {
      if (timer || closed) return;
      timer = setTimeout(() => {
        timer = null;
        bus.fanout(NETWORK_AGENT_TOPIC, 'state_changed', {}).catch((e: unknown) => log.warn({ err: e }, 'network state fanout failed'));
      }, 50);
      timer.unref();
    },
    notifyServer(serverId: string) {
      if (closed) return;
      bus
        .cast({ topic: CONDUCTOR_TOPIC }, 'network_changed', { uuid: serverId })
        .catch((e: unknown) => log.debug({ err: e, server: serverId }, 'no conductor took network_changed'));
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await sub.close();
    },
  };
}
