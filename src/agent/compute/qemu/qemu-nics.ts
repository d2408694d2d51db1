import type { NetworkSpec } from '../../../lib/rpc/compute-rpc.js';
import type { NicArgsBuilder } from './qemu-command.js';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const TAP = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * One virtio NIC per port, on the tap the network side made for it
 * (`vifDetails.tap`, already on the network's bridge): QEMU only opens it
 * (script=no), so it needs no privileges of its own over the host's
 * networking. The port's MAC is the guest's; `host_mtu` tells the guest
 * driver the network's MTU (VXLAN networks are 1450).
 */
export const tapNics: NicArgsBuilder = (networks: NetworkSpec[]) => {
  if (networks.length === 0) return ['-nic', 'none'];
  return networks.flatMap((n, i) => {
    const tap = n.vifDetails.tap;
    if (typeof tap !== 'string' || !TAP.test(tap)) throw new Error(`port ${n.portId} has no valid tap device in its binding`);
    const mac = n.macAddress.toLowerCase();
    if (!MAC.test(mac)) throw new Error(`port ${n.portId} has an invalid MAC address`);
    const mtu = Number.isInteger(n.mtu) && n.mtu >= 68 && n.mtu <= 65535 ? `,host_mtu=${n.mtu}` : '';
    return ['-netdev', `tap,id=net${i},ifname=${tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=net${i},mac=${mac}${mtu}`];
  });
};
