/**
 * A hypervisor that only exists in memory (as Nova's nova/virt/fake.py): every
 * operation succeeds at once (after `delayMs`), state survives an agent
 * restart through a small JSON file so reconciliation can be exercised.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PowerState,
  type FlavorSpec,
  type ImageSpec,
  type InstanceSpec,
  type NetworkSpec,
  type PowerStateValue,
} from '../../../lib/rpc/compute-rpc.js';
import { InstanceNotFoundError, type ComputeDriver, type DriverInstance, type HostResources, type SnapshotUploader } from '../driver.js';
import { FakeVncServer } from './fake-vnc-server.js';

export interface FakeDriverConfig {
  stateDir: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  vncListen: string;
  delayMs?: number;
}

interface FakeGuest {
  uuid: string;
  name: string;
  powerState: PowerStateValue;
  flavorId: string;
  imageId: string | null;
}

/**
 * A short boot log (more lines than a client's usual tail, so "all of it"
 * differs from "the last few"), ending at a login prompt without a newline
 * as a real serial console does.
 */
export const FAKE_CONSOLE_TEXT = [
  'FAKE CONSOLE OUTPUT',
  'This server runs on the Kumo fake compute driver: there is no real guest.',
  '[    0.000000] Linux version 0.0.0-fake',
  '[    0.100000] Booting the fake kernel',
  '[    1.000000] Mounting root filesystem',
  '[    2.000000] Starting cloud-init',
  'login: ',
].join('\n');

export class FakeDriver implements ComputeDriver {
  readonly hypervisorType = 'fake';
  readonly #config: FakeDriverConfig;
  readonly #guests = new Map<string, FakeGuest>();
  readonly #file: string;
  /** One console for every fake guest, started on first use. */
  readonly #vnc: FakeVncServer;
  #saving: Promise<void> = Promise.resolve();

  constructor(config: FakeDriverConfig) {
    this.#config = config;
    this.#vnc = new FakeVncServer(config.vncListen);
    this.#file = join(config.stateDir, 'fake-driver.json');
  }

  async init(): Promise<void> {
    await mkdir(this.#config.stateDir, { recursive: true });
    try {
      const saved = JSON.parse(await readFile(this.#file, 'utf8')) as FakeGuest[];
      for (const g of saved) this.#guests.set(g.uuid, g);
    } catch {
      // First start: nothing saved.
    }
  }

  async hostResources(): Promise<HostResources> {
    return {
      vcpus: this.#config.vcpus,
      memoryMb: this.#config.memoryMb,
      diskGb: this.#config.diskGb,
      hypervisorType: 'fake',
      hypervisorVersion: 1000,
      cpuInfo: { arch: 'x86_64', model: 'fake', vendor: 'fake', topology: { sockets: 1, cores: this.#config.vcpus, threads: 1 } },
    };
  }

  async listInstances(): Promise<DriverInstance[]> {
    return [...this.#guests.values()].map((g) => ({ uuid: g.uuid, powerState: g.powerState }));
  }

  async powerState(uuid: string): Promise<PowerStateValue> {
    return this.#guests.get(uuid)?.powerState ?? PowerState.NOSTATE;
  }

  async spawn(instance: InstanceSpec): Promise<void> {
    await this.#delay();
    this.#guests.set(instance.uuid, {
      uuid: instance.uuid,
      name: instance.name,
      powerState: PowerState.RUNNING,
      flavorId: instance.flavor.flavorId,
      imageId: instance.image?.id ?? null,
    });
    await this.#save();
  }

  async destroy(uuid: string): Promise<void> {
    await this.#delay();
    if (this.#guests.delete(uuid)) await this.#save();
  }

  powerOff(uuid: string): Promise<void> {
    return this.#set(uuid, PowerState.SHUTDOWN);
  }

  powerOn(instance: InstanceSpec): Promise<void> {
    return this.#set(instance.uuid, PowerState.RUNNING);
  }

  reboot(instance: InstanceSpec): Promise<void> {
    return this.#set(instance.uuid, PowerState.RUNNING);
  }

  pause(uuid: string): Promise<void> {
    return this.#set(uuid, PowerState.PAUSED);
  }

  unpause(uuid: string): Promise<void> {
    return this.#set(uuid, PowerState.RUNNING);
  }

  suspend(uuid: string): Promise<void> {
    return this.#set(uuid, PowerState.SUSPENDED);
  }

  resume(instance: InstanceSpec): Promise<void> {
    return this.#set(instance.uuid, PowerState.RUNNING);
  }

  async rebuild(instance: InstanceSpec, image: ImageSpec): Promise<void> {
    this.#guest(instance.uuid).imageId = image.id;
    await this.#set(instance.uuid, PowerState.RUNNING);
  }

  async resize(instance: InstanceSpec, flavor: FlavorSpec): Promise<void> {
    this.#guest(instance.uuid).flavorId = flavor.flavorId;
    await this.#set(instance.uuid, PowerState.RUNNING);
  }

  async confirmResize(instance: InstanceSpec): Promise<void> {
    this.#guest(instance.uuid);
    await this.#delay();
  }

  async revertResize(instance: InstanceSpec, flavor: FlavorSpec): Promise<void> {
    this.#guest(instance.uuid).flavorId = flavor.flavorId;
    await this.#set(instance.uuid, PowerState.RUNNING);
  }

  async snapshot(uuid: string, format: string, upload: SnapshotUploader): Promise<void> {
    this.#guest(uuid);
    const dir = join(this.#config.stateDir, 'snapshots');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${uuid}.img`);
    // The image service checks that the data is in the image's disk_format.
    await writeFile(path, format === 'qcow2' ? emptyQcow2(FAKE_SNAPSHOT_BYTES) : Buffer.alloc(64 * 1024));
    try {
      await upload(path);
    } finally {
      await rm(path, { force: true });
    }
  }

  async consoleOutput(uuid: string, lines: number | null): Promise<string> {
    this.#guest(uuid);
    if (lines === null) return FAKE_CONSOLE_TEXT;
    // Nova's _tail_log: the last `lines` pieces of the log split at newlines; 0 is nothing.
    return lines === 0 ? '' : FAKE_CONSOLE_TEXT.split('\n').slice(-lines).join('\n');
  }

  async vncConsole(uuid: string): Promise<{ host: string; port: number }> {
    this.#guest(uuid);
    return { host: this.#config.vncListen, port: await this.#vnc.port() };
  }

  async attachInterface(uuid: string, _nic: NetworkSpec): Promise<void> {
    this.#guest(uuid);
  }

  async detachInterface(uuid: string, _portId: string): Promise<void> {
    this.#guest(uuid);
  }

  async close(): Promise<void> {
    // Every change is saved as it happens; only the console server is to stop.
    await this.#vnc.close();
  }

  #guest(uuid: string): FakeGuest {
    const g = this.#guests.get(uuid);
    if (!g) throw new InstanceNotFoundError(uuid);
    return g;
  }

  async #set(uuid: string, state: PowerStateValue): Promise<void> {
    await this.#delay();
    this.#guest(uuid).powerState = state;
    await this.#save();
  }

  async #delay(): Promise<void> {
    if (this.#config.delayMs) await new Promise((r) => setTimeout(r, this.#config.delayMs));
  }

  /** Saves one at a time: concurrent operations would otherwise race on the temporary file. */
  #save(): Promise<void> {
    const write = async () => {
      const tmp = `${this.#file}.tmp`;
      await writeFile(tmp, JSON.stringify([...this.#guests.values()]));
      await rename(tmp, this.#file);
    };
    const next = this.#saving.then(write, write);
    this.#saving = next.catch(() => undefined);
    return next;
  }
}

/** Virtual size of a fake snapshot (its data are all zeros, so the file stays small). */
const FAKE_SNAPSHOT_BYTES = 64 * 1024 * 1024;

/**
 * An empty qcow2 (version 3, 64 KiB clusters, no backing file) laid out as
 * `qemu-img create` does: header, refcount table, one refcount block, L1
 * table. The image service runs `qemu-img info` on uploads, so a header alone
 * is refused.
 */
function emptyQcow2(virtualSize: number): Buffer {
  const cluster = 0x10000;
  const b = Buffer.alloc(3 * cluster + 8);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(3, 4); // version
  b.writeUInt32BE(16, 20); // cluster bits
  b.writeBigUInt64BE(BigInt(virtualSize), 24);
  b.writeUInt32BE(Math.max(1, Math.ceil(virtualSize / (cluster * (cluster / 8)))), 36); // L1 entries
  b.writeBigUInt64BE(BigInt(3 * cluster), 40); // L1 table offset
  b.writeBigUInt64BE(BigInt(cluster), 48); // refcount table offset
  b.writeUInt32BE(1, 56); // refcount table clusters
  b.writeUInt32BE(4, 96); // refcount order: 16-bit refcounts
  b.writeUInt32BE(112, 100); // header length
  b.writeBigUInt64BE(BigInt(2 * cluster), cluster); // refcount table -> the one block
  for (let i = 0; i < 4; i++) b.writeUInt16BE(1, 2 * cluster + 2 * i); // clusters 0-3 are in use
  return b;
}
