import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildQemuArgv, qemuEscape, type QemuGuestConfig } from '../../src/agent/compute/qemu/qemu-command.js';
import { hotplugNic, tapNics } from '../../src/agent/compute/qemu/qemu-nics.js';
import type { NetworkSpec } from '../../src/lib/rpc/compute-rpc.js';

const base: QemuGuestConfig = {
  uuid: '6f7c7f9e-1111-4222-8333-944455556666',
  name: 'instance-00000001',
  vcpus: 2,
  memoryMb: 512,
  diskPath: '/var/lib/kumo/instances/x/disk.qcow2',
  consoleLog: '/var/lib/kumo/instances/x/console.log',
  qmpSocket: '/var/lib/kumo/instances/x/qmp.sock',
  vncListen: '127.0.0.1',
  vncPort: 5903,
  accel: 'tcg',
};

function after(argv: string[], flag: string): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => a === flag && out.push(argv[i + 1]!));
  return out;
}

test('argv: TCG guest with disk, serial log, QMP, VNC and no NIC', () => {
  const argv = buildQemuArgv(base);
  assert.equal(argv[0], 'qemu-system-x86_64');
  assert.ok(argv.includes('-nodefaults') && argv.includes('-no-user-config'));
  assert.ok(!argv.includes('-daemonize'));
  assert.deepEqual(after(argv, '-machine'), ['q35,accel=tcg']);
  assert.deepEqual(after(argv, '-cpu'), []);
  assert.deepEqual(after(argv, '-m'), ['512']);
  assert.deepEqual(after(argv, '-smp'), ['2']);
  assert.deepEqual(after(argv, '-vnc'), ['127.0.0.1:3,to=999']);
  assert.deepEqual(after(argv, '-qmp'), ['unix:/var/lib/kumo/instances/x/qmp.sock,server=on,wait=off']);
  assert.deepEqual(after(argv, '-chardev'), ['file,id=console0,path=/var/lib/kumo/instances/x/console.log,append=on']);
  assert.deepEqual(after(argv, '-serial'), ['chardev:console0']);
  assert.match(after(argv, '-drive')[0]!, /^file=\/var\/lib\/kumo\/instances\/x\/disk\.qcow2,format=qcow2,if=virtio,/);
  assert.deepEqual(after(argv, '-nic'), ['none']);
  assert.deepEqual(after(argv, '-uuid'), [base.uuid]);
});

test('argv: KVM uses the host CPU; disk bus and NICs are pluggable', () => {
  const argv = buildQemuArgv(
    {
      ...base,
      accel: 'kvm',
      diskBus: 'ide',
      networks: [{ portId: 'p1', networkId: 'n1', macAddress: 'fa:16:3e:00:00:01', fixedIps: [], mtu: 1450, vifDetails: { tap: 'tap1' } }],
    },
    (nets) =>
      nets.flatMap((n) => [
        '-netdev',
        `tap,id=${n.portId},ifname=${String(n.vifDetails.tap)}`,
        '-device',
        `virtio-net-pci,netdev=${n.portId},mac=${n.macAddress}`,
      ]),
  );
  assert.deepEqual(after(argv, '-machine'), ['q35,accel=kvm']);
  assert.deepEqual(after(argv, '-cpu'), ['host']);
  assert.match(after(argv, '-drive')[0]!, /if=ide/);
  assert.deepEqual(after(argv, '-netdev'), ['tap,id=p1,ifname=tap1']);
  assert.deepEqual(after(argv, '-nic'), []);
});

test('argv: commas in paths are escaped and odd disk buses fall back to IDE', () => {
  assert.equal(qemuEscape('a,b'), 'a,,b');
  const argv = buildQemuArgv({ ...base, diskPath: '/x,y/disk.qcow2', diskBus: 'usb' });
  assert.match(after(argv, '-drive')[0]!, /^file=\/x,,y\/disk\.qcow2,format=qcow2,if=virtio/);
  const sata = buildQemuArgv({ ...base, diskBus: 'sata' });
  assert.match(after(sata, '-drive')[0]!, /if=ide/);
});

test('argv: a VNC port below 5900 is refused', () => {
  assert.throws(() => buildQemuArgv({ ...base, vncPort: 22 }), /out of range/);
});

test('argv: SeaBIOS serial console file when given', () => {
  const argv = buildQemuArgv({ ...base, biosSerconFile: '/d/sercon' });
  assert.deepEqual(after(argv, '-fw_cfg'), ['name=etc/sercon-port,file=/d/sercon']);
});

test('argv: tap NICs, one virtio device per port with its MAC and MTU; no ports, no NIC', () => {
  const port = (i: number, over: Partial<NetworkSpec> = {}): NetworkSpec => ({
    portId: `p${i}`,
    networkId: 'n1',
    macAddress: `FA:16:3E:00:00:0${i}`,
    fixedIps: [],
    mtu: 1450,
    vifDetails: { tap: `tap${i}` },
    ...over,
  });
  const argv = buildQemuArgv({ ...base, networks: [port(1), port(2)] }, tapNics);
  assert.deepEqual(
    argv.filter((_, i) => argv[i - 1] === '-netdev' || argv[i - 1] === '-device').filter((a) => /tap|virtio-net/.test(a)),
    [
      'tap,id=net-p1,ifname=tap1,script=no,downscript=no',
      'virtio-net-pci,netdev=net-p1,mac=fa:16:3e:00:00:01,id=nic-p1,host_mtu=1450',
      'tap,id=net-p2,ifname=tap2,script=no,downscript=no',
      'virtio-net-pci,netdev=net-p2,mac=fa:16:3e:00:00:02,id=nic-p2,host_mtu=1450',
    ],
  );
  // The same NIC hot-plugged over QMP (interface attach).
  assert.deepEqual(hotplugNic(port(1)), {
    netdev: { type: 'tap', id: 'net-p1', ifname: 'tap1', script: 'no', downscript: 'no' },
    device: { driver: 'virtio-net-pci', netdev: 'net-p1', mac: 'fa:16:3e:00:00:01', id: 'nic-p1', host_mtu: 1450 },
  });
  assert.deepEqual(after(buildQemuArgv({ ...base, networks: [] }, tapNics), '-nic'), ['none']);
  assert.throws(() => tapNics([port(1, { vifDetails: {} })]), /no valid tap/);
  assert.throws(() => tapNics([port(1, { vifDetails: { tap: 'tap1,script=/bin/sh' } })]), /no valid tap/);
  assert.throws(() => tapNics([port(1, { macAddress: 'fa:16:3e:00:00:01,x' })]), /invalid MAC/);
});

test('argv: vnc_listen = unix puts VNC on a socket (no TCP port is needed)', () => {
  const argv = buildQemuArgv({ ...base, vncPort: 0, vncSocket: '/var/lib/kumo/instances/x/vnc.sock' });
  assert.deepEqual(after(argv, '-vnc'), ['unix:/var/lib/kumo/instances/x/vnc.sock']);
  assert.throws(() => buildQemuArgv({ ...base, vncPort: 0 }), /VNC port 0 out of range/);
});
