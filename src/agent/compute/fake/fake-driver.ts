/**
 * A hypervisor that only exists in memory (as Nova's nova/virt/fake.py): every
 * operation succeeds at once (after `delayMs`), state survives an agent
 * restart through a small JSON file so reconciliation can be exercised.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PowerState, type FlavorSpec, type ImageSpec, type InstanceSpec, type PowerStateValue } from '../../../lib/rpc/compute-rpc.js';
import { InstanceNotFoundError, type ComputeDriver, type DriverInstance, type HostResources, type SnapshotUploader } from '../driver.js';

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

export const FAKE_CONSOLE_TEXT = 'FAKE CONSOLE OUTPUT\nThis server runs on the Kumo fake compute driver: there is no real guest.\n';

export class FakeDriver implements ComputeDriver {
  readonly hypervisorType = 'fake';
  readonly #config: FakeDriverConfig;
  readonly #guests = new Map<string, FakeGuest>();
  readonly #file: string;

  constructor(config: FakeDriverConfig) {
    this.#config = config;
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

  async snapshot(uuid: string, _format: string, upload: SnapshotUploader): Promise<void> {
    this.#guest(uuid);
    const dir = join(this.#config.stateDir, 'snapshots');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${uuid}.img`);
    await writeFile(path, `fake snapshot of ${uuid}\n`);
    try {
      await upload(path);
    } finally {
      await rm(path, { force: true });
    }
  }

  async consoleOutput(uuid: string, lines: number | null): Promise<string> {
    this.#guest(uuid);
    if (lines === null) return FAKE_CONSOLE_TEXT;
    return FAKE_CONSOLE_TEXT.split('\n').slice(0, -1).slice(-lines).join('\n') + (lines > 0 ? '\n' : '');
  }

  async vncConsole(uuid: string): Promise<{ host: string; port: number }> {
    this.#guest(uuid);
    return { host: this.#config.vncListen, port: 5900 };
  }

  async close(): Promise<void> {
    // Every change is saved as it happens.
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

  async #save(): Promise<void> {
    const tmp = `${this.#file}.tmp`;
    await writeFile(tmp, JSON.stringify([...this.#guests.values()]));
    await rename(tmp, this.#file);
  }
}
