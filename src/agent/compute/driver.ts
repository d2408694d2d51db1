/**
 * The compute driver: what the agent needs from a hypervisor. Modelled on
 * kysely's Driver (small, documented, optional capabilities): the agent owns
 * the bus, state reporting and reconciliation; a driver only makes guests
 * exist, run and go away. Implementations: `QemuDriver` (processes) and
 * `FakeDriver` (memory only, as Nova's fake virt driver).
 */
import type { FlavorSpec, ImageSpec, InstanceSpec, NetworkSpec, PowerStateValue } from '../../lib/rpc/compute-rpc.js';

export interface HostResources {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  hypervisorType: string;
  hypervisorVersion: number;
  cpuInfo: Record<string, unknown>;
}

/** A guest the driver knows about (running or not). */
export interface DriverInstance {
  uuid: string;
  powerState: PowerStateValue;
}

/** Uploads a snapshot file (the driver produced it in `format`) to the image service. */
export type SnapshotUploader = (path: string) => Promise<void>;

export interface ComputeDriver {
  /** `QEMU` or `fake`, reported as hypervisor_type. */
  readonly hypervisorType: string;

  /** Prepares directories and re-attaches to guests left by a previous agent. */
  init(): Promise<void>;

  /** Resources this host offers (before allocation ratios and reservations). */
  hostResources(): Promise<HostResources>;

  /** Every guest the driver has on this host. */
  listInstances(): Promise<DriverInstance[]>;

  /** Power state of one guest; NOSTATE when unknown. */
  powerState(uuid: string): Promise<PowerStateValue>;

  /** Creates the guest's disks from its image and starts it. Leaves nothing behind when it throws. */
  spawn(instance: InstanceSpec): Promise<void>;

  /** Stops the guest (if running) and removes all its files. Idempotent. */
  destroy(uuid: string): Promise<void>;

  /** ACPI power-off, then a hard stop after `timeoutSec`. */
  powerOff(uuid: string, timeoutSec: number): Promise<void>;

  /** Starts an existing, stopped guest (again, e.g. after a host reboot). */
  powerOn(instance: InstanceSpec): Promise<void>;

  /** SOFT: ACPI shutdown and start; HARD: kill and start. */
  reboot(instance: InstanceSpec, type: 'SOFT' | 'HARD'): Promise<void>;

  pause(uuid: string): Promise<void>;
  unpause(uuid: string): Promise<void>;
  suspend(uuid: string): Promise<void>;
  resume(instance: InstanceSpec): Promise<void>;

  /** Recreates the root disk from `image` and starts the guest. */
  rebuild(instance: InstanceSpec, image: ImageSpec): Promise<void>;

  /** In-place resize: stop, grow the disk to `flavor.rootGb`, restart with the new CPU/RAM. */
  resize(instance: InstanceSpec, flavor: FlavorSpec): Promise<void>;

  /** Forgets what a revert would need (nothing to undo afterwards). */
  confirmResize(instance: InstanceSpec): Promise<void>;

  /** Restarts with `flavor` (the old one). Disks never shrink. */
  revertResize(instance: InstanceSpec, flavor: FlavorSpec): Promise<void>;

  /** Writes a consistent copy of the root disk in `format` and hands it to `upload`. */
  snapshot(uuid: string, format: string, upload: SnapshotUploader): Promise<void>;

  /** The serial console log, last `lines` lines (all when null). */
  consoleOutput(uuid: string, lines: number | null): Promise<string>;

  /** Where the guest's VNC server listens (TCP, for the console proxy). */
  vncConsole(uuid: string): Promise<{ host: string; port: number }>;

  /** Hot-plugs a NIC on `nic`'s tap (already on its bridge) into the running guest. */
  attachInterface(uuid: string, nic: NetworkSpec): Promise<void>;

  /** Unplugs the NIC of `portId` from the running guest (the guest acknowledges the PCI unplug). */
  detachInterface(uuid: string, portId: string): Promise<void>;

  /**
   * Optional: called when a guest stops without the agent asking (crash,
   * guest shutdown), so the agent can report it.
   */
  onUnexpectedStop?(listener: (uuid: string) => void): void;

  /** Releases handles; guests keep running. */
  close(): Promise<void>;
}

/** Error for operations on a guest the driver does not have. */
export class InstanceNotFoundError extends Error {
  constructor(uuid: string) {
    super(`Instance ${uuid} could not be found on this host.`);
    this.name = 'InstanceNotFoundError';
  }
}
