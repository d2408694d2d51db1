import { networkInfoOf, type RequestedNic } from './server-network.js';
import type { FlavorSpec, ImageSpec, InstanceSpec, PowerStateValue, VmState } from '../../lib/rpc/compute-rpc.js';
import type { InstanceRow } from '../store/server-tables.js';

/** What the scheduler keeps on a server between attempts. */
export interface SchedulingInfo {
  /** `group` hint and anything else the user passed in OS-SCH-HNT:scheduler_hints. */
  hints: Record<string, unknown>;
  requestedAz: string | null;
  /** Host an admin asked for (zone:host or 2.74 host); the scheduler considers no other. */
  forcedHost?: string | null;
  excludedHosts: string[];
  attempts: number;
  /** Why the last host failed the build (shown in the fault once no host is left). */
  lastError?: string;
  /** Request id of the create (build events finish on it). */
  requestId: string;
  /** The NICs the create asked for, resolved (empty: none). */
  nics?: RequestedNic[];
  /** Flavors of a resize in flight: the agent reports which one it runs (new after resize, old after revert). */
  oldFlavor?: FlavorSpec;
  newFlavor?: FlavorSpec;
}

export const instanceName = (id: number): string => `instance-${id.toString(16).padStart(8, '0')}`;

export const flavorOf = (row: Pick<InstanceRow, 'flavor'>): FlavorSpec => JSON.parse(row.flavor) as FlavorSpec;
export const imageOf = (row: Pick<InstanceRow, 'image'>): ImageSpec | null => (row.image ? (JSON.parse(row.image) as ImageSpec) : null);
export const schedulingOf = (row: Pick<InstanceRow, 'scheduling'>): SchedulingInfo => JSON.parse(row.scheduling) as SchedulingInfo;

/** The message form of a server for the agent. */
export function instanceSpecOf(row: InstanceRow, metadata: Record<string, string>): InstanceSpec {
  return {
    uuid: row.uuid,
    name: instanceName(row.id),
    displayName: row.display_name,
    hostname: row.hostname,
    projectId: row.project_id,
    userId: row.user_id,
    flavor: flavorOf(row),
    image: imageOf(row),
    keyName: row.key_name,
    keyData: row.key_data,
    userData: row.user_data,
    metadata,
    configDrive: row.config_drive === 1,
    availabilityZone: row.availability_zone,
    launchIndex: row.launch_index,
    vmState: row.vm_state as VmState,
    taskState: row.task_state,
    powerState: row.power_state as PowerStateValue,
    networks: networkInfoOf(row.network_info ?? null).map(({ networkName: _n, createdByNova: _c, ...spec }) => spec),
  };
}

/** Nova's hostname sanitizing (nova/utils.py sanitize_hostname): lower case, [a-z0-9-], at most 63 characters. */
export function sanitizeHostname(name: string, fallback: string): string {
  let h = name
    .toLowerCase()
    .replace(/[ _]/g, '-')
    .replace(/[^a-z0-9.-]/g, '')
    .replace(/^[.-]+|[.-]+$/g, '');
  h = h.slice(0, 63).replace(/[.-]+$/, '');
  return h || fallback;
}
