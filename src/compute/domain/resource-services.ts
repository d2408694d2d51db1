/**
 * CONTRACT between the two halves of the compute service: what the servers
 * and conductor code needs from flavors, key pairs, quotas, server groups and
 * hosts. The resources part implements it (and may add members); the servers
 * part consumes only what is declared here.
 */
import type { HeartbeatReply, HostReport } from '../../lib/rpc/compute-rpc.js';
import type { ComputeCaller } from './caller.js';

export interface Flavor {
  /** Nova's flavorid (string, user-chosen or a UUID). */
  id: string;
  name: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  ephemeralGb: number;
  swapMb: number;
  rxtxFactor: number;
  isPublic: boolean;
  disabled: boolean;
  description: string | null;
  extraSpecs: Record<string, string>;
}

export interface Keypair {
  name: string;
  userId: string;
  type: 'ssh' | 'x509';
  publicKey: string;
  fingerprint: string;
  createdAt: string;
}

export type ServerGroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';

export interface ServerGroup {
  id: string;
  name: string;
  projectId: string;
  userId: string;
  policy: ServerGroupPolicy;
  rules: { max_server_per_host?: number };
  /** Server UUIDs. */
  members: string[];
}

/** A compute host (agent) as the scheduler sees it. */
export interface ComputeHost {
  host: string;
  /** hypervisor_hostname. */
  node: string;
  providerUuid: string;
  availabilityZone: string;
  /** Service not disabled by an admin. */
  enabled: boolean;
  /** Heartbeat within compute.service_down_time and not forced down. */
  up: boolean;
}

export interface FlavorLookup {
  /** A flavor the caller may use (public, or with access); KumoError 404 `flavor_not_found` otherwise. */
  getForCaller(caller: ComputeCaller, flavorId: string): Promise<Flavor>;
  /** Any flavor, also deleted ones, by id (for showing old servers); undefined if never existed. */
  getAny(flavorId: string): Promise<Flavor | undefined>;
}

export interface KeypairLookup {
  /** KumoError 404 `keypair_not_found` when `userId` has no key pair `name`. */
  get(userId: string, name: string): Promise<Keypair>;
}

export interface QuotaChecker {
  /**
   * Throws Nova's 403 "Quota exceeded for instances: Requested 1, but already
   * used 10 of 10 instances" (code `quota_exceeded`) when adding `deltas` to
   * the project's current usage (counted from the instances table) passes a
   * limit. Also checks per-user quotas when set.
   */
  checkServers(projectId: string, userId: string, deltas: { instances: number; cores: number; ram: number }): Promise<void>;
  /** Limit on metadata items per server; -1 = unlimited. */
  metadataItemsLimit(projectId: string): Promise<number>;
}

export interface ServerGroupLookup {
  /** A group the caller can see; KumoError 404 otherwise. */
  get(caller: ComputeCaller, id: string): Promise<ServerGroup>;
  /** Group of a server, if any. */
  groupOf(serverUuid: string): Promise<ServerGroup | undefined>;
  /** Adds members; 403 `quota_exceeded` past compute.quota_server_group_members. */
  addMembers(groupId: string, serverUuids: string[]): Promise<void>;
  removeMember(serverUuid: string): Promise<void>;
}

export interface HostRegistry {
  /** Handles conductor.service_heartbeat: creates/updates the service and compute node rows. */
  heartbeat(report: HostReport): Promise<HeartbeatReply>;
  /** Every nova-compute host with its state, for the scheduler. */
  computeHosts(): Promise<ComputeHost[]>;
}

export interface ResourceServices {
  flavors: FlavorLookup;
  keypairs: KeypairLookup;
  quotas: QuotaChecker;
  serverGroups: ServerGroupLookup;
  hosts: HostRegistry;
}
