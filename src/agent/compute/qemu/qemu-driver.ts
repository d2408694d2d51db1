/**
 * Runs each server as a supervised qemu-system-x86_64 process (KVM when
 * usable, else TCG). Per server, `<instances_dir>/<uuid>/` holds everything:
 * instance.json (what to start it with), disk.qcow2 (overlay of the cached
 * base image), console.log, qmp.sock, qemu.pid, qemu.log. Nothing else is
 * kept in memory per server but its pid, so an agent restart re-attaches by
 * pid + QMP socket and a destroy leaves no file or process behind.
 */
import { cpus, totalmem, arch } from 'node:os';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, statfs, unlink, writeFile, rename } from 'node:fs/promises';
import { buildConfigDrive } from '../config-drive.js';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  PowerState,
  type FlavorSpec,
  type ImageSpec,
  type InstanceSpec,
  type NetworkSpec,
  type PowerStateValue,
} from '../../../lib/rpc/compute-rpc.js';
import { hotplugNic, nicIds } from './qemu-nics.js';
import { InstanceNotFoundError, type ComputeDriver, type DriverInstance, type HostResources, type SnapshotUploader } from '../driver.js';
import { isAlive, killPid, spawnSupervised } from '../../host/host-process.js';
import { convertImage, createOverlay, imageInfo, kvmUsable, qemuVersion, resizeImage } from '../../host/qemu-img.js';
import { ImageCache, type ImageFetcher } from './image-cache.js';
import { buildQemuArgv, HOTPLUG_PORTS, noNics, VNC_LAST_PORT, type NicArgsBuilder } from './qemu-command.js';
import { readTail, trimLog } from './console-log.js';
import { QmpClient, withQmp } from './qmp-client.js';

export interface QemuDriverConfig {
  instancesDir: string;
  imageCacheDir: string;
  vncListen: string;
  fetchImage: ImageFetcher;
  nics?: NicArgsBuilder;
  /** Seconds a guest gets to honour ACPI power-off before it is killed. */
  shutdownTimeoutSec?: number;
  /** Console logs are trimmed to their last quarter once they pass this size. */
  consoleMaxBytes?: number;
  /** Force an accelerator (tests); default: kvm when usable, else tcg. */
  accel?: 'kvm' | 'tcg';
  binary?: string;
  /** Network namespace the guests run in (their taps are there); undefined: the agent's own. */
  netns?: string;
}

/** What instance.json holds: enough to start the guest again without the conductor. */
interface GuestMeta {
  uuid: string;
  name: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  imageId: string | null;
  diskBus?: string;
  vncPort: number;
  suspended?: boolean;
}

interface Proc {
  pid: number;
  /** Set before the agent stops the guest itself, so the exit is not "unexpected". */
  expected: boolean;
}

const GiB = 1024 ** 3;
/** How long a guest has to release a NIC being detached. */
const DETACH_TIMEOUT_MS = 20_000;
const SUPPORTED_FORMATS = new Set(['raw', 'qcow2']);

export class QemuDriver implements ComputeDriver {
  readonly hypervisorType = 'QEMU';
  readonly #c: QemuDriverConfig;
  readonly #cache: ImageCache;
  readonly #procs = new Map<string, Proc>();
  readonly #listeners: ((uuid: string) => void)[] = [];
  #accel: 'kvm' | 'tcg' = 'tcg';
  #poll: NodeJS.Timeout | undefined;

  constructor(config: QemuDriverConfig) {
    this.#c = config;
    this.#cache = new ImageCache(config.imageCacheDir, config.fetchImage);
  }

  get accel(): 'kvm' | 'tcg' {
    return this.#accel;
  }

  async init(): Promise<void> {
    await mkdir(this.#c.instancesDir, { recursive: true });
    await mkdir(this.#c.imageCacheDir, { recursive: true });
    this.#accel = this.#c.accel ?? ((await kvmUsable()) ? 'kvm' : 'tcg');
    for (const uuid of await this.#uuids()) {
      const pid = await this.#readPid(uuid);
      if (pid && (await isAlive(pid, uuid))) this.#procs.set(uuid, { pid, expected: false });
      else if (pid) await this.#cleanRuntime(uuid);
    }
    // Children of a previous agent are not ours to `wait` for: poll them (and trim console logs).
    this.#poll = setInterval(() => void this.#watch(), 5000);
    this.#poll.unref();
  }

  async hostResources(): Promise<HostResources> {
    const fs = await statfs(this.#c.instancesDir);
    const list = cpus();
    return {
      vcpus: list.length,
      memoryMb: Math.floor(totalmem() / 1024 / 1024),
      diskGb: Math.floor((fs.blocks * fs.bsize) / GiB),
      hypervisorType: 'QEMU',
      hypervisorVersion: await qemuVersion(this.#c.binary).catch(() => 0),
      cpuInfo: {
        arch: arch() === 'x64' ? 'x86_64' : arch(),
        model: list[0]?.model ?? 'unknown',
        vendor: /AMD/i.test(list[0]?.model ?? '') ? 'AMD' : 'Intel',
        topology: { sockets: 1, cores: list.length, threads: 1 },
        features: [],
      },
    };
  }

  async listInstances(): Promise<DriverInstance[]> {
    const out: DriverInstance[] = [];
    for (const uuid of await this.#uuids()) out.push({ uuid, powerState: await this.powerState(uuid) });
    return out;
  }

  async powerState(uuid: string): Promise<PowerStateValue> {
    const meta = await this.#meta(uuid).catch(() => undefined);
    if (!meta) return PowerState.NOSTATE;
    const proc = this.#procs.get(uuid);
    if (!proc || !(await isAlive(proc.pid, uuid))) return PowerState.SHUTDOWN;
    try {
      const st = await withQmp(this.#qmpPath(uuid), (q) => q.queryStatus());
      if (st.running) return PowerState.RUNNING;
      if (st.status === 'shutdown') return PowerState.SHUTDOWN;
      if (st.status === 'internal-error' || st.status === 'guest-panicked') return PowerState.CRASHED;
      return meta.suspended ? PowerState.SUSPENDED : PowerState.PAUSED;
    } catch {
      return PowerState.NOSTATE;
    }
  }

  async spawn(instance: InstanceSpec): Promise<void> {
    const dir = this.#dir(instance.uuid);
    await this.destroy(instance.uuid);
    await mkdir(dir, { recursive: true });
    try {
      if (!instance.image) throw new Error('Booting from volume is not supported by this host.');
      await this.#createDisk(instance.uuid, instance.image, instance.flavor.rootGb);
      if (instance.configDrive) await buildConfigDrive(instance, this.#configDrivePath(instance.uuid));
      const meta: GuestMeta = {
        uuid: instance.uuid,
        name: instance.name,
        vcpus: instance.flavor.vcpus,
        memoryMb: instance.flavor.memoryMb,
        rootGb: instance.flavor.rootGb,
        imageId: instance.image.id,
        diskBus: instance.image.properties.hw_disk_bus,
        vncPort: 0,
      };
      await this.#writeMeta(meta);
      await this.#start(meta, instance);
    } catch (e) {
      await this.destroy(instance.uuid);
      throw e;
    }
  }

  async destroy(uuid: string): Promise<void> {
    await this.#stop(uuid, 0);
    await rm(this.#dir(uuid), { recursive: true, force: true });
  }

  async powerOff(uuid: string, timeoutSec: number): Promise<void> {
    await this.#meta(uuid);
    await this.#stop(uuid, timeoutSec);
  }

  async powerOn(instance: InstanceSpec): Promise<void> {
    const meta = await this.#meta(instance.uuid);
    if (await this.#alive(instance.uuid)) return;
    meta.suspended = false;
    await this.#start(meta, instance);
  }

  async reboot(instance: InstanceSpec, type: 'SOFT' | 'HARD'): Promise<void> {
    const meta = await this.#meta(instance.uuid);
    await this.#stop(instance.uuid, type === 'SOFT' ? this.#shutdownTimeout() : 0);
    meta.suspended = false;
    await this.#start(meta, instance);
  }

  async pause(uuid: string): Promise<void> {
    await this.#qmp(uuid, 'stop');
  }

  async unpause(uuid: string): Promise<void> {
    await this.#qmp(uuid, 'cont');
  }

  /** The guest is frozen in place (its RAM stays in the QEMU process); Nova's libvirt driver saves it to disk instead. */
  async suspend(uuid: string): Promise<void> {
    const meta = await this.#meta(uuid);
    await this.#qmp(uuid, 'stop');
    meta.suspended = true;
    await this.#writeMeta(meta);
  }

  async resume(instance: InstanceSpec): Promise<void> {
    const meta = await this.#meta(instance.uuid);
    meta.suspended = false;
    await this.#writeMeta(meta);
    if (await this.#alive(instance.uuid)) await this.#qmp(instance.uuid, 'cont');
    else await this.#start(meta, instance);
  }

  async rebuild(instance: InstanceSpec, image: ImageSpec): Promise<void> {
    const meta = await this.#meta(instance.uuid);
    await this.#stop(instance.uuid, this.#shutdownTimeout());
    await rm(this.#diskPath(instance.uuid), { force: true });
    await this.#createDisk(instance.uuid, image, meta.rootGb);
    meta.imageId = image.id;
    meta.diskBus = image.properties.hw_disk_bus;
    meta.suspended = false;
    await this.#writeMeta(meta);
    await this.#start(meta, instance);
  }

  async resize(instance: InstanceSpec, flavor: FlavorSpec): Promise<void> {
    const meta = await this.#meta(instance.uuid);
    await this.#stop(instance.uuid, this.#shutdownTimeout());
    const disk = this.#diskPath(instance.uuid);
    const info = await imageInfo(disk, 'qcow2');
    if (flavor.rootGb * GiB > info.virtualSize) await resizeImage(disk, flavor.rootGb * GiB);
    Object.assign(meta, { vcpus: flavor.vcpus, memoryMb: flavor.memoryMb, rootGb: Math.max(meta.rootGb, flavor.rootGb), suspended: false });
    await this.#writeMeta(meta);
    await this.#start(meta, instance);
  }

  async confirmResize(instance: InstanceSpec): Promise<void> {
    await this.#meta(instance.uuid);
  }

  async revertResize(instance: InstanceSpec, flavor: FlavorSpec): Promise<void> {
    const meta = await this.#meta(instance.uuid);
    await this.#stop(instance.uuid, this.#shutdownTimeout());
    Object.assign(meta, { vcpus: flavor.vcpus, memoryMb: flavor.memoryMb, suspended: false });
    await this.#writeMeta(meta);
    await this.#start(meta, instance);
  }

  async snapshot(uuid: string, format: string, upload: SnapshotUploader): Promise<void> {
    await this.#meta(uuid);
    const out = join(this.#dir(uuid), `snapshot.${format === 'raw' ? 'raw' : 'qcow2'}`);
    const running = (await this.powerState(uuid)) === PowerState.RUNNING;
    // Paused, the disk is quiescent for QEMU: the copy is crash-consistent.
    if (running) await this.#qmp(uuid, 'stop');
    try {
      await convertImage(this.#diskPath(uuid), out, format === 'raw' ? 'raw' : 'qcow2', { forceShare: true });
    } finally {
      if (running) await this.#qmp(uuid, 'cont').catch(() => undefined);
    }
    try {
      await upload(out);
    } finally {
      await rm(out, { force: true });
    }
  }

  async consoleOutput(uuid: string, lines: number | null): Promise<string> {
    await this.#meta(uuid);
    const text = await readTail(join(this.#dir(uuid), 'console.log'), 1 << 20);
    if (lines === null) return text;
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return lines <= 0 ? '' : all.slice(-lines).join('\n') + '\n';
  }

  async vncConsole(uuid: string): Promise<{ host: string; port: number }> {
    const meta = await this.#meta(uuid);
    if (!(await this.#alive(uuid))) throw new Error(`Instance ${uuid} is not running.`);
    // A socket path is what the console proxy connects to when it starts with '/'.
    if (this.#c.vncListen === 'unix') return { host: this.#vncSocketPath(uuid), port: 0 };
    return { host: this.#c.vncListen, port: meta.vncPort };
  }

  #vncSocketPath(uuid: string): string {
    return join(this.#dir(uuid), 'vnc.sock');
  }

  onUnexpectedStop(listener: (uuid: string) => void): void {
    this.#listeners.push(listener);
  }

  async attachInterface(uuid: string, nic: NetworkSpec): Promise<void> {
    await this.#meta(uuid);
    if (!(await this.#alive(uuid))) throw new Error(`Instance ${uuid} is not running.`);
    const { netdev, device } = hotplugNic(nic);
    await withQmp(this.#qmpPath(uuid), async (q) => {
      await q.execute('netdev_add', netdev);
      // The first free hot-plug root port takes the NIC (each port holds one device).
      let last: unknown = new Error('the guest has no free PCIe hot-plug port');
      for (const bus of HOTPLUG_PORTS) {
        try {
          await q.execute('device_add', { ...device, bus });
          return;
        } catch (e) {
          last = e;
        }
      }
      await q.execute('netdev_del', { id: netdev.id }).catch(() => undefined);
      throw last;
    });
  }

  async detachInterface(uuid: string, portId: string): Promise<void> {
    await this.#meta(uuid);
    if (!(await this.#alive(uuid))) throw new Error(`Instance ${uuid} is not running.`);
    const id = nicIds(portId);
    await withQmp(this.#qmpPath(uuid), async (q) => {
      const present = async (): Promise<boolean> =>
        ((await q.execute<{ name: string }[]>('qom-list', { path: '/machine/peripheral' })) ?? []).some((p) => p.name === id.device);
      if (await present()) {
        // The guest completes a PCI unplug (ACPI hotplug); bounded wait, as Nova's device detach retries.
        await q.execute('device_del', { id: id.device });
        const end = Date.now() + DETACH_TIMEOUT_MS;
        while ((await present()) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
        if (await present()) throw new Error(`the guest did not release NIC ${id.device} within ${DETACH_TIMEOUT_MS / 1000} s`);
      }
      await q.execute('netdev_del', { id: id.netdev }).catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = undefined;
  }

  /** Pids of the guests this driver runs (for tests and leak checks). */
  pids(): Map<string, number> {
    return new Map([...this.#procs].map(([k, v]) => [k, v.pid]));
  }

  // ------------------------------------------------------------ internals

  /** The server's config drive (made at spawn when it asked for one), as Nova's libvirt driver names it. */
  #configDrivePath(uuid: string): string {
    return join(this.#dir(uuid), 'disk.config');
  }

  #dir(uuid: string): string {
    if (!/^[0-9a-f-]{36}$/i.test(uuid)) throw new Error(`Invalid instance uuid ${uuid}`);
    return join(this.#c.instancesDir, uuid);
  }

  #diskPath(uuid: string): string {
    return join(this.#dir(uuid), 'disk.qcow2');
  }

  #qmpPath(uuid: string): string {
    return join(this.#dir(uuid), 'qmp.sock');
  }

  #shutdownTimeout(): number {
    return this.#c.shutdownTimeoutSec ?? 60;
  }

  async #uuids(): Promise<string[]> {
    const names = await readdir(this.#c.instancesDir).catch(() => [] as string[]);
    const out: string[] = [];
    for (const n of names) {
      if (!/^[0-9a-f-]{36}$/i.test(n)) continue;
      if (await stat(join(this.#c.instancesDir, n, 'instance.json')).catch(() => undefined)) out.push(n);
    }
    return out;
  }

  async #meta(uuid: string): Promise<GuestMeta> {
    try {
      return JSON.parse(await readFile(join(this.#dir(uuid), 'instance.json'), 'utf8')) as GuestMeta;
    } catch {
      throw new InstanceNotFoundError(uuid);
    }
  }

  async #writeMeta(meta: GuestMeta): Promise<void> {
    const path = join(this.#dir(meta.uuid), 'instance.json');
    await writeFile(`${path}.tmp`, JSON.stringify(meta));
    await rename(`${path}.tmp`, path);
  }

  async #readPid(uuid: string): Promise<number | undefined> {
    const text = await readFile(join(this.#dir(uuid), 'qemu.pid'), 'utf8').catch(() => '');
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  async #alive(uuid: string): Promise<boolean> {
    const p = this.#procs.get(uuid);
    return !!p && (await isAlive(p.pid, uuid));
  }

  async #createDisk(uuid: string, image: ImageSpec, rootGb: number): Promise<void> {
    if (!SUPPORTED_FORMATS.has(image.diskFormat)) throw new Error(`Image disk format ${image.diskFormat} is not supported (raw, qcow2).`);
    const base = await this.#cache.get(image.id, image.size);
    let info;
    try {
      info = await imageInfo(base.path, image.diskFormat);
    } catch (e) {
      await this.#cache.evict(image.id);
      throw new Error(`Image ${image.id} is not a valid ${image.diskFormat} image: ${(e as Error).message}`, { cause: e });
    }
    // A qcow2 pointing at a backing file could read any host file: refuse, as Nova does.
    if (info.backingFilename) throw new Error(`Image ${image.id} has a backing file; refusing it.`);
    const size = Math.max(rootGb * GiB, info.virtualSize);
    await createOverlay(base.path, image.diskFormat, this.#diskPath(uuid), size);
  }

  async #start(meta: GuestMeta, instance: InstanceSpec): Promise<void> {
    const dir = this.#dir(meta.uuid);
    await this.#cleanRuntime(meta.uuid);
    const vncSocket = this.#c.vncListen === 'unix' ? this.#vncSocketPath(meta.uuid) : undefined;
    if (!vncSocket) meta.vncPort = await this.#freeVncPort(meta.uuid, meta.vncPort);
    const sercon = join(dir, 'sercon-port');
    await writeFile(sercon, Buffer.from([0xf8, 0x03]));
    await this.#writeMeta(meta);
    const argv = buildQemuArgv(
      {
        uuid: meta.uuid,
        name: meta.name,
        vcpus: meta.vcpus,
        memoryMb: meta.memoryMb,
        diskPath: this.#diskPath(meta.uuid),
        consoleLog: join(dir, 'console.log'),
        qmpSocket: this.#qmpPath(meta.uuid),
        vncListen: this.#c.vncListen,
        vncPort: meta.vncPort,
        ...(vncSocket ? { vncSocket } : {}),
        accel: this.#accel,
        diskBus: meta.diskBus,
        networks: instance.networks,
        ...(existsSync(this.#configDrivePath(meta.uuid)) ? { configDrivePath: this.#configDrivePath(meta.uuid) } : {}),
        binary: this.#c.binary,
        biosSerconFile: sercon,
      },
      this.#c.nics ?? noNics,
    );
    // `ip netns exec` execs QEMU: the pid is QEMU's own, as the pid file and the checks expect.
    const child = await spawnSupervised(this.#c.netns ? ['ip', 'netns', 'exec', this.#c.netns, ...argv] : argv, join(dir, 'qemu.log'));
    const proc: Proc = { pid: child.pid, expected: false };
    this.#procs.set(meta.uuid, proc);
    await writeFile(join(dir, 'qemu.pid'), `${child.pid}\n`);
    void child.exited.then(() => this.#exited(meta.uuid, proc));
    // How it ended, for the error when it never answers (an empty log says nothing on its own).
    let ended = '';
    void child.exited.then((x) => (ended = x.signal ? `killed by ${x.signal}` : `exited with code ${x.code}`));
    // QEMU is usable once its QMP socket answers.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const qmp = await QmpClient.connect(this.#qmpPath(meta.uuid), 2000);
        try {
          // The display QEMU actually bound may be past the one asked for (see `to=` in the argv).
          const vnc = await qmp.execute<{ service?: string }>('query-vnc');
          const bound = Number(vnc.service);
          if (Number.isInteger(bound) && bound !== meta.vncPort) {
            meta.vncPort = bound;
            await this.#writeMeta(meta);
          }
        } finally {
          qmp.close();
        }
        return;
      } catch (e) {
        if (!(await isAlive(child.pid, meta.uuid)) || Date.now() > deadline) {
          await this.#stop(meta.uuid, 0);
          const log = await readTail(join(dir, 'qemu.log'), 2000);
          const how = ended ? ` (${ended})` : '';
          throw new Error(`QEMU did not start${how}: ${log.trim() || (e as Error).message}`, { cause: e });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops the guest: ACPI power-off for up to `graceSec`, then SIGKILL. Waits until the process is gone. */
  async #stop(uuid: string, graceSec: number): Promise<void> {
    const proc = this.#procs.get(uuid);
    if (proc) {
      proc.expected = true;
      if (graceSec > 0 && (await isAlive(proc.pid, uuid))) {
        await this.#qmp(uuid, 'system_powerdown').catch(() => undefined);
        await waitGone(proc.pid, uuid, graceSec * 1000);
      }
      await killPid(proc.pid, uuid, 'SIGKILL');
      await waitGone(proc.pid, uuid, 10_000);
      this.#procs.delete(uuid);
    }
    await this.#cleanRuntime(uuid);
  }

  async #cleanRuntime(uuid: string): Promise<void> {
    await unlink(join(this.#dir(uuid), 'qemu.pid')).catch(() => undefined);
    await unlink(this.#qmpPath(uuid)).catch(() => undefined);
    await unlink(this.#vncSocketPath(uuid)).catch(() => undefined);
  }

  async #qmp(uuid: string, command: string): Promise<void> {
    await this.#meta(uuid);
    if (!(await this.#alive(uuid))) throw new Error(`Instance ${uuid} is not running.`);
    await withQmp(this.#qmpPath(uuid), (q) => q.execute(command));
  }

  #exited(uuid: string, proc: Proc): void {
    if (this.#procs.get(uuid) !== proc) return;
    this.#procs.delete(uuid);
    void this.#cleanRuntime(uuid).catch(() => undefined);
    if (!proc.expected) for (const l of this.#listeners) l(uuid);
  }

  async #watch(): Promise<void> {
    for (const [uuid, proc] of [...this.#procs]) {
      if (!(await isAlive(proc.pid, uuid))) this.#exited(uuid, proc);
      else await trimLog(join(this.#dir(uuid), 'console.log'), this.#c.consoleMaxBytes ?? 4 << 20).catch(() => undefined);
    }
  }

  async #freeVncPort(uuid: string, preferred: number): Promise<number> {
    const taken = new Set<number>();
    for (const other of await this.#uuids()) {
      if (other === uuid) continue;
      const m = await this.#meta(other).catch(() => undefined);
      if (m?.vncPort) taken.add(m.vncPort);
    }
    const candidates = preferred >= 5900 ? [preferred] : [];
    for (let p = 5900; p <= VNC_LAST_PORT; p++) candidates.push(p);
    for (const port of candidates) {
      if (!taken.has(port) && (await portFree(this.#c.vncListen, port))) return port;
    }
    throw new Error(`No free VNC port between 5900 and ${VNC_LAST_PORT}.`);
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

async function waitGone(pid: number, marker: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && (await isAlive(pid, marker))) await new Promise((r) => setTimeout(r, 100));
}
