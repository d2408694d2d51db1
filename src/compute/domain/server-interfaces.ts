import { type KumoError, badRequest, conflict, isKumoError, notFound } from '../../lib/errors.js';
import { COMPUTE_TOPIC, type NetworkSpec } from '../../lib/rpc/compute-rpc.js';
import type { InstanceRow } from '../store/server-tables.js';
import type { ComputeCaller } from './caller.js';
import { instanceSpecOf } from './instance-spec.js';
import { checkInstanceState } from './instance-states.js';
import { networkInfoOf, type NetworkInfo, type RequestedNic } from './server-network.js';
import type { ServerService } from './server-service.js';

/** Nova: interfaces are attached and detached while the server is active, paused or stopped, with no task running. */
const RULE = { vmStates: ['active', 'paused', 'stopped'] };
const RUNNING = new Set(['active', 'paused']);
/** A hot-plug waits for the guest (a detach for its PCI unplug). */
const AGENT_TIMEOUT_MS = 60_000;

export interface AttachRequest {
  net_id?: string;
  port_id?: string;
  fixed_ips?: { ip_address: string }[];
}

/**
 * Interface attach and detach (os-interface): a port made (or taken) and
 * bound on the server's host, hot-plugged by the agent into a running guest
 * (a stopped one gets it at its next start), kept in the server's network
 * info; detach unplugs it and frees the port.
 */
export class ServerInterfaces {
  constructor(private readonly svc: ServerService) {}

  /** The server's ports as Nova's interfaceAttachments, from the network service. */
  async list(row: InstanceRow): Promise<Record<string, unknown>[]> {
    return (await this.svc.deps.networks.portsOf(row.uuid)).map(attachmentView);
  }

  async show(row: InstanceRow, portId: string): Promise<Record<string, unknown>> {
    const port = (await this.svc.deps.networks.portsOf(row.uuid)).find((p) => p.id === portId);
    if (!port) throw notFound(`Port ${portId} is not attached`, 'port_not_found');
    return attachmentView(port);
  }

  async attach(caller: ComputeCaller, row: InstanceRow, req: AttachRequest): Promise<Record<string, unknown>> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('attach_interface', row, RULE);
    if (req.net_id && req.port_id) throw badRequest('Must not input both network_id and port_id');
    if (req.fixed_ips && !req.net_id) throw badRequest('fixed_ips requires a net_id');
    if (req.fixed_ips && req.fixed_ips.length > 1) throw badRequest('Only one fixed IP can be asked for an interface.');
    if (!row.host) throw conflict(`Instance ${row.uuid} has no host yet`, 'instance_not_ready');
    const asked: RequestedNic[] | undefined = req.port_id
      ? [{ port: req.port_id }]
      : req.net_id
        ? [{ uuid: req.net_id, ...(req.fixed_ips?.[0] ? { fixed_ip: req.fixed_ips[0].ip_address } : {}) }]
        : undefined;
    const nics = await this.svc.deps.networks.resolve(row.project_id, asked);
    if (nics.length === 0) throw badRequest('No network is available to attach an interface to; give a net_id or a port_id.');
    const groups = JSON.parse(row.security_groups) as string[];
    const [info] = await this.svc.deps.networks.allocate(
      { uuid: row.uuid, projectId: row.project_id, zone: row.availability_zone, securityGroups: groups },
      nics,
      row.host,
      [],
    );
    if (!info) throw conflict('No port was allocated', 'interface_attach_failed');
    try {
      if (RUNNING.has(row.vm_state)) await this.#agent(caller, row, 'attach_interface', { network: specOf(info) });
    } catch (e) {
      await this.svc.deps.networks.deallocate([info]).catch(() => undefined);
      throw failure(e, `Failed to attach network adapter device to ${row.uuid}`);
    }
    await this.#save(row.uuid, (list) => [...list.filter((n) => n.portId !== info.portId), info]);
    return this.show(row, info.portId);
  }

  async detach(caller: ComputeCaller, row: InstanceRow, portId: string): Promise<void> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('detach_interface', row, RULE);
    const nic = networkInfoOf(row.network_info).find((n) => n.portId === portId);
    if (!nic) throw notFound(`Port ${portId} is not attached`, 'port_not_found');
    if (RUNNING.has(row.vm_state)) {
      try {
        await this.#agent(caller, row, 'detach_interface', { portId });
      } catch (e) {
        throw failure(e, `Failed to detach network adapter device from ${row.uuid}`);
      }
    }
    await this.svc.deps.networks.deallocate([nic]);
    await this.#save(row.uuid, (list) => list.filter((n) => n.portId !== portId));
  }

  /** addFixedIp (before 2.44): one more address on the server's port on `networkId`. */
  async addFixedIp(caller: ComputeCaller, row: InstanceRow, networkId: string): Promise<void> {
    this.svc.assertNotLocked(caller, row);
    const nic = networkInfoOf(row.network_info).find((n) => n.networkId === networkId);
    if (!nic) throw badRequest(`Network ${networkId} could not be found for instance ${row.uuid}.`, 'network_not_found');
    const fixedIps = await this.svc.deps.networks.changeFixedIps(nic.portId, { add: networkId });
    await this.#save(row.uuid, (list) => list.map((n) => (n.portId === nic.portId ? { ...n, fixedIps } : n)));
  }

  /** removeFixedIp (before 2.44): the address off the server's port that has it. */
  async removeFixedIp(caller: ComputeCaller, row: InstanceRow, address: string): Promise<void> {
    this.svc.assertNotLocked(caller, row);
    const nic = networkInfoOf(row.network_info).find((n) => n.fixedIps.some((f) => f.ipAddress === address));
    if (!nic) throw badRequest(`Fixed IP ${address} is not associated with instance ${row.uuid}.`, 'fixed_ip_not_associated');
    const fixedIps = await this.svc.deps.networks.changeFixedIps(nic.portId, { remove: address });
    await this.#save(row.uuid, (list) => list.map((n) => (n.portId === nic.portId ? { ...n, fixedIps } : n)));
  }

  async #agent(caller: ComputeCaller, row: InstanceRow, method: string, extra: Record<string, unknown>): Promise<void> {
    const metadata = (await this.svc.store.metadataOf([row.uuid])).get(row.uuid) ?? {};
    await this.svc.deps.bus.call(
      { topic: COMPUTE_TOPIC, server: row.host! },
      method,
      { instance: instanceSpecOf(row, metadata), requestId: caller.requestId, ...extra },
      { timeoutMs: AGENT_TIMEOUT_MS },
    );
  }

  async #save(uuid: string, change: (list: NetworkInfo[]) => NetworkInfo[]): Promise<void> {
    const fresh = await this.svc.store.get(uuid);
    if (!fresh) return;
    await this.svc.store.update(uuid, { network_info: JSON.stringify(change(networkInfoOf(fresh.network_info))) });
  }
}

const specOf = ({ networkName: _n, createdByNova: _c, floating: _f, ...spec }: NetworkInfo): NetworkSpec => spec;

/** Agent errors keep their 4xx; anything else is a 409 that says why, the server being as it was. */
function failure(e: unknown, what: string): KumoError {
  if (isKumoError(e) && e.status < 500) return e;
  return conflict(`${what}: ${(e as Error).message}`, 'interface_attach_failed');
}

function attachmentView(p: {
  id: string;
  network_id: string;
  mac_address: string;
  status: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
}): Record<string, unknown> {
  return {
    net_id: p.network_id,
    port_id: p.id,
    mac_addr: p.mac_address,
    port_state: p.status,
    fixed_ips: p.fixed_ips.map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
  };
}
