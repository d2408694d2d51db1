/**
 * The versioned bus protocol between the compute service (API + conductor)
 * and the agents on hypervisors. Both sides import only this file, never each
 * other: it is the contract that lets them run in different processes and be
 * upgraded one at a time. Payloads are plain JSON; new optional fields may be
 * added within a version, anything else bumps COMPUTE_RPC_VERSION.
 *
 * Topics (see lib/bus/bus.ts for call/cast semantics):
 * - `conductor`: served by every compute service process (competing).
 * - `compute` with `server = <host>`: served by the agent of that host.
 */
export const COMPUTE_RPC_VERSION = '1.0';
export const CONDUCTOR_TOPIC = 'conductor';
export const COMPUTE_TOPIC = 'compute';

// ---------------------------------------------------------------- states

/** Nova's vm_state values. */
export type VmState =
  | 'building'
  | 'active'
  | 'stopped'
  | 'paused'
  | 'suspended'
  | 'rescued'
  | 'resized'
  | 'shelved'
  | 'shelved_offloaded'
  | 'soft-delete'
  | 'deleted'
  | 'error';

/** Nova's power_state numbers (nova/compute/power_state.py). */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;
export type PowerStateValue = (typeof PowerState)[keyof typeof PowerState];

// ---------------------------------------------------------------- conductor topic

/** What an agent tells the conductor about its host on start and every heartbeat. */
export interface HostReport {
  host: string;
  /** Always `nova-compute`, the binary name clients filter on. */
  binary: 'nova-compute';
  rpcVersion: string;
  /** Resource provider UUID the agent registered in placement (stable per host). */
  providerUuid: string;
  hypervisorType: string; // 'QEMU' (TCG or KVM) or 'fake'
  hypervisorVersion: number; // e.g. 7002000 for 7.2.0, as libvirt reports it
  hostIp: string;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  cpuInfo: Record<string, unknown>;
}

/** conductor.service_heartbeat (call) → HeartbeatReply */
export interface HeartbeatReply {
  disabled: boolean;
  forcedDown: boolean;
}

/** A fault the agent attaches to a server when it goes to ERROR. */
export interface InstanceFaultReport {
  code: number; // 500 for build/driver failures
  message: string;
  details?: string;
}

/**
 * conductor.instance_update (call) → { applied: boolean }.
 * Fields left out are not changed; `taskState: null` clears the task.
 * With `expectedTaskState`, the update applies only if the server's current
 * task_state is one of those (compare-and-set, as Nova's expected_task_state);
 * otherwise `applied` is false (e.g. the server was deleted meanwhile).
 */
export interface InstanceUpdate {
  uuid: string;
  host?: string;
  node?: string;
  vmState?: VmState;
  taskState?: string | null;
  powerState?: PowerStateValue;
  expectedTaskState?: (string | null)[];
  /** Set once, when the server first becomes ACTIVE. */
  launchedAt?: string;
  /** Set when a stop/delete finished. */
  terminatedAt?: string;
  fault?: InstanceFaultReport;
  /** Finishes the instance action event `event` (e.g. `compute_reboot_instance`) of request `requestId`. */
  actionEvent?: { requestId: string; event: string; result: 'Success' | 'Error'; traceback?: string };
  /** After a resize or rebuild the agent reports the flavor/image it now runs. */
  flavorId?: string;
  imageRef?: string;
}

/**
 * conductor.reschedule (cast): the agent could not build the server
 * (`reason`); the conductor frees the claim on `host` and tries another host,
 * or puts the server in ERROR with "No valid host was found" after
 * compute.scheduler_max_attempts.
 */
export interface RescheduleRequest {
  uuid: string;
  host: string;
  reason: string;
  requestId: string;
}

/** conductor.instances_on_host (call) → { instances: InstanceSpec[] } for reconciliation at agent start. */
export interface InstancesOnHostRequest {
  host: string;
}

/** conductor.build_instances (cast, compute API → conductor): schedule and build servers already in BUILD. */
export interface BuildInstancesRequest {
  uuids: string[];
  requestId: string;
}

// ---------------------------------------------------------------- compute.<host> topic

export interface FlavorSpec {
  flavorId: string;
  name: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  ephemeralGb: number;
  swapMb: number;
  extraSpecs: Record<string, string>;
}

export interface ImageSpec {
  id: string;
  name: string;
  diskFormat: string;
  containerFormat: string;
  size: number;
  minDisk: number;
  minRam: number;
  /** Free-form image properties (hw_disk_bus, hw_vif_model, os_type, ...). */
  properties: Record<string, string>;
}

/** Everything an agent needs to run a server, without reading compute's tables. */
export interface InstanceSpec {
  uuid: string;
  /** Hypervisor-side name: `instance-%08x` of the server's integer id. */
  name: string;
  displayName: string;
  hostname: string;
  projectId: string;
  userId: string;
  flavor: FlavorSpec;
  /** Null for volume-backed servers (not served yet). */
  image: ImageSpec | null;
  keyName: string | null;
  /** OpenSSH public key text of `keyName`. */
  keyData: string | null;
  /** Base64 user_data as given by the user. */
  userData: string | null;
  metadata: Record<string, string>;
  configDrive: boolean;
  availabilityZone: string | null;
  launchIndex: number;
  /** State the conductor holds, for reconciliation. */
  vmState: VmState;
  taskState: string | null;
  powerState: PowerStateValue;
  /** Ports to plug, once the network service exists; [] for `networks: none`. */
  networks: NetworkSpec[];
}

export interface NetworkSpec {
  portId: string;
  networkId: string;
  macAddress: string;
  fixedIps: { ipAddress: string; subnetId: string }[];
  mtu: number;
  /** Name of the bridge or tap device to plug into, decided by the network agent. */
  vifDetails: Record<string, unknown>;
}

/** Common to every compute.<host> message about one server. */
export interface InstanceMessage {
  instance: InstanceSpec;
  /** Global request id of the API call (`req-...`), for the instance action event. */
  requestId: string;
}

/** compute.build_and_run_instance (cast). The agent reports with instance_update or reschedule. */
export interface BuildRequest extends InstanceMessage {
  attempt: number;
}

/** compute.reboot_instance (cast) */
export interface RebootRequest extends InstanceMessage {
  rebootType: 'SOFT' | 'HARD';
}

/** compute.rebuild_instance (cast): new image, same flavor; disk recreated. */
export interface RebuildRequest extends InstanceMessage {
  image: ImageSpec;
}

/** compute.resize_instance (cast): same host resize (Kumo resizes in place, as Nova's allow_resize_to_same_host). */
export interface ResizeRequest extends InstanceMessage {
  newFlavor: FlavorSpec;
}

/** compute.snapshot_instance (cast): upload the server's disk to the (queued) image `imageId`. */
export interface SnapshotRequest extends InstanceMessage {
  imageId: string;
}

/** compute.attach_interface (call): plug the port's tap and hot-plug a NIC on it into the running guest. */
export interface AttachInterfaceRequest extends InstanceMessage {
  network: NetworkSpec;
}

/** compute.detach_interface (call): unplug the port's NIC from the running guest. */
export interface DetachInterfaceRequest extends InstanceMessage {
  portId: string;
}

/** compute.get_console_output (call) → { output: string } (last `length` lines, or all). */
export interface ConsoleOutputRequest extends InstanceMessage {
  length: number | null;
}

/** compute.get_vnc_console (call) → VncConsoleReply */
export type VncConsoleRequest = InstanceMessage;
export interface VncConsoleReply {
  host: string;
  port: number;
}

/**
 * Method names per topic. One-way (`cast`) messages: build_and_run_instance,
 * terminate_instance, stop_instance, start_instance, reboot_instance,
 * pause_instance, unpause_instance, suspend_instance, resume_instance,
 * rebuild_instance, resize_instance, confirm_resize, revert_resize,
 * snapshot_instance. Calls: get_console_output, get_vnc_console.
 */
export const COMPUTE_METHODS = [
  'build_and_run_instance',
  'terminate_instance',
  'stop_instance',
  'start_instance',
  'reboot_instance',
  'pause_instance',
  'unpause_instance',
  'suspend_instance',
  'resume_instance',
  'rebuild_instance',
  'resize_instance',
  'confirm_resize',
  'revert_resize',
  'snapshot_instance',
  'get_console_output',
  'get_vnc_console',
  'attach_interface',
  'detach_interface',
] as const;
export type ComputeMethod = (typeof COMPUTE_METHODS)[number];

/** conductor.instance_spec (call) {uuid}: the metadata service's view of a server, with the password its guest posted. */
export interface InstanceSpecReply {
  instance: InstanceSpec | null;
  password: string | null;
}

/** conductor.set_password (call) {uuid, password}: what the guest posted to the metadata service's password path. */
export interface SetPasswordReply {
  status: 'set' | 'already_set' | 'not_found';
}

/** conductor.network_changed (cast) {uuid}: the network service changed a server's ports (floating IPs); compute refreshes its addresses. */
export const CONDUCTOR_METHODS = [
  'service_heartbeat',
  'instance_update',
  'reschedule',
  'instances_on_host',
  'build_instances',
  'instance_spec',
  'set_password',
  'network_changed',
] as const;
export type ConductorMethod = (typeof CONDUCTOR_METHODS)[number];
