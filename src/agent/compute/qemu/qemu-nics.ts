import type { NetworkSpec } from '../../../lib/rpc/compute-rpc.js';
import type { NicArgsBuilder } from './qemu-command.js';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const TAP = /^[A-Za-z0-9_.-]{1,15}$/;

/** QEMU ids of a port's NIC (the netdev and the PCI device), named after the port so it can be unplugged later. */
export function nicIds(portId: string): { netdev: string; device: string } {
  const short = portId.replace(/[^0-9A-Za-z]/g, '').slice(0, 12);
  if (!short) throw new Error(`port id ${portId} cannot name a NIC`);
  return { netdev: `net-${short}`, device: `nic-${short}` };
}

/** The checked pieces of a NIC: tap, MAC and host_mtu. */
function nicOf(n: NetworkSpec): { tap: string; mac: string; mtu: number | null } {
  const tap = n.vifDetails.tap;
  if (typeof tap !== 'string' || !TAP.test(tap)) throw new Error(`port ${n.portId} has no valid tap device in its binding`);
  const mac = n.macAddress.toLowerCase();
  if (!MAC.test(mac)) throw new Error(`port ${n.portId} has an invalid MAC address`);
  return { tap, mac, mtu: Number.isInteger(n.mtu) && n.mtu >= 68 && n.mtu <= 65535 ? n.mtu : null };
}

/**
 * One virtio NIC per port, on the tap the network side made for it
 * (`vifDetails.tap`, already on the network's bridge): QEMU only opens it
 * (script=no), so it needs no privileges of its own over the host's
 * networking. The port's MAC is the guest's; `host_mtu` tells the guest
 * driver the network's MTU (VXLAN networks are 1450).
 */
export const tapNics: NicArgsBuilder = (networks: NetworkSpec[]) => {
  if (networks.length === 0) return ['-nic', 'none'];
  return networks.flatMap((n) => {
    const { tap, mac, mtu } = nicOf(n);
    const id = nicIds(n.portId);
    return [
      '-netdev',
      `tap,id=${id.netdev},ifname=${tap},script=no,downscript=no`,
      '-device',
      `virtio-net-pci,netdev=${id.netdev},mac=${mac},id=${id.device}${mtu ? `,host_mtu=${mtu}` : ''}`,
    ];
  });
};

/** The QMP netdev_add and device_add arguments that hot-plug the same NIC into a running guest. */
export function hotplugNic(n: NetworkSpec): { netdev: Record<string, unknown>; device: Record<string, unknown> } {
  const { tap, mac, mtu } = nicOf(n);
  const id = nicIds(n.portId);
  return {
    netdev: { type: 'tap', id: id.netdev, ifname: tap, script: 'no', downscript: 'no' },
    device: { driver: 'virtio-net-pci', netdev: id.netdev, mac, id: id.device, ...(mtu ? { host_mtu: mtu } : {}) },
  };
}
