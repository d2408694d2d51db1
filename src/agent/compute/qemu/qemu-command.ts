/**
 * Builds the qemu-system-x86_64 command line of one guest. Pure: everything
 * it needs comes in as `QemuGuestConfig`, so it is unit-tested without QEMU.
 */
import type { NetworkSpec } from '../../../lib/rpc/compute-rpc.js';

export interface QemuGuestConfig {
  uuid: string;
  name: string;
  vcpus: number;
  memoryMb: number;
  diskPath: string;
  /** Appended to by QEMU; the agent trims it. */
  consoleLog: string;
  qmpSocket: string;
  vncListen: string;
  vncPort: number;
  /** VNC on this unix socket instead of TCP (vnc_listen = unix). */
  vncSocket?: string;
  accel: 'kvm' | 'tcg';
  machine?: 'q35' | 'pc';
  /** `virtio` (default) or `ide`/`scsi` etc. from the image's hw_disk_bus. */
  diskBus?: string;
  configDrivePath?: string;
  /**
   * A 2-byte file holding 0x3f8: SeaBIOS then mirrors its screen to the
   * serial port (libvirt's <bios useserial='yes'/>), so boot failures show in
   * the console log.
   */
  biosSerconFile?: string;
  networks?: NetworkSpec[];
  binary?: string;
}

/** Turns the server's ports into NIC arguments; `-nic none` until the network agent plugs taps. */
export type NicArgsBuilder = (networks: NetworkSpec[]) => string[];

export const noNics: NicArgsBuilder = () => ['-nic', 'none'];

/**
 * PCIe root ports a q35 guest starts with for NICs attached later (its root
 * bus takes no hot-plugged devices), as Nova's libvirt driver adds them.
 */
export const HOTPLUG_PORTS = Array.from({ length: 4 }, (_, i) => `hp${i}`);

/** QEMU option values are comma-separated: a literal comma is doubled. */
export function qemuEscape(value: string): string {
  return value.replaceAll(',', ',,');
}

/** Highest VNC port a guest may take (displays 0..999). */
export const VNC_LAST_PORT = 6899;

export function buildQemuArgv(c: QemuGuestConfig, nics: NicArgsBuilder = noNics): string[] {
  if (!c.vncSocket && (c.vncPort < 5900 || c.vncPort > 65535)) throw new Error(`VNC port ${c.vncPort} out of range`);
  const bus = c.diskBus && ['virtio', 'ide', 'scsi', 'sata'].includes(c.diskBus) ? c.diskBus : 'virtio';
  const drive =
    bus === 'virtio' || bus === 'ide'
      ? [`file=${qemuEscape(c.diskPath)},format=qcow2,if=${bus},cache=none,discard=unmap`]
      : [`file=${qemuEscape(c.diskPath)},format=qcow2,if=ide,cache=none`];
  const argv = [
    c.binary ?? 'qemu-system-x86_64',
    '-name',
    `guest=${qemuEscape(c.name)},debug-threads=on`,
    '-uuid',
    c.uuid,
    '-nodefaults',
    '-no-user-config',
    '-machine',
    `${c.machine ?? 'q35'},accel=${c.accel}`,
    ...(c.accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-m',
    String(c.memoryMb),
    '-smp',
    String(c.vcpus),
    '-display',
    'none',
    '-vga',
    'std',
    '-vnc',
    // `to=` lets QEMU itself take the next free display when another process won the race for this one.
    c.vncSocket ? `unix:${qemuEscape(c.vncSocket)}` : `${c.vncListen}:${c.vncPort - 5900},to=${VNC_LAST_PORT - 5900}`,
    '-chardev',
    `file,id=console0,path=${qemuEscape(c.consoleLog)},append=on`,
    '-serial',
    'chardev:console0',
    '-qmp',
    `unix:${qemuEscape(c.qmpSocket)},server=on,wait=off`,
    '-drive',
    drive[0]!,
    // A read-only virtio disk, not an IDE CD-ROM: q35 has no IDE, and small cloud kernels no AHCI; guests find it by its label.
    ...(c.configDrivePath ? ['-drive', `file=${qemuEscape(c.configDrivePath)},format=raw,if=virtio,readonly=on`] : []),
    ...nics(c.networks ?? []),
    ...((c.machine ?? 'q35') === 'q35' ? HOTPLUG_PORTS.flatMap((id, i) => ['-device', `pcie-root-port,id=${id},chassis=${i + 1}`]) : []),
    ...(c.biosSerconFile ? ['-fw_cfg', `name=etc/sercon-port,file=${qemuEscape(c.biosSerconFile)}`] : []),
    '-boot',
    'order=c',
    '-device',
    'virtio-balloon',
    '-rtc',
    'base=utc',
    '-msg',
    'timestamp=on',
  ];
  return argv;
}
