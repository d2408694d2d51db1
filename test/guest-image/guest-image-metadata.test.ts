/**
 * The test guest on a NIC: DHCP (busybox udhcpc), hostname and SSH key from
 * the OpenStack metadata service at 169.254.169.254, and SSH (dropbear) with
 * that key and with cirros's password. QEMU user-mode networking only: its
 * DHCP server answers, guestfwd carries 169.254.169.254:80 to an HTTP server
 * in this test and hostfwd carries a local port to the guest's port 22, so no
 * bridge, tap or namespace is involved.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bootGuest, ensureGuestImage, GUEST_PASSWORD, GUEST_USER } from '../support/guest-image.js';

const BOOT_LIMIT_MS = 120_000;

async function freePort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as AddressInfo;
  await new Promise((ok) => srv.close(ok));
  return port;
}

/** Runs `command` over SSH as cirros, authenticating with `auth.key` or with a password via SSH_ASKPASS. */
function ssh(auth: { key: string } | { askpass: string }, port: number, command: string): Promise<{ code: number | null; out: string }> {
  const authArgs =
    'key' in auth
      ? ['-i', auth.key, '-o', 'BatchMode=yes']
      : ['-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive'];
  const env = 'key' in auth ? process.env : { ...process.env, SSH_ASKPASS: auth.askpass, SSH_ASKPASS_REQUIRE: 'force' };
  const args = [
    ...authArgs,
    '-p',
    String(port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'ConnectTimeout=30',
    `${GUEST_USER}@127.0.0.1`,
    command,
  ];
  return new Promise((done) => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => done({ code, out }));
  });
}

describe('kumo test guest on a network', { timeout: 10 * 60_000 }, () => {
  it('gets an address by DHCP, its name and key from the metadata service, and serves SSH', async (t) => {
    if (spawnSync('ssh', ['-V']).status !== 0 || spawnSync('ssh-keygen', ['-?']).error) return t.skip('needs openssh-client');
    const image = await ensureGuestImage();
    const dir = await mkdtemp(join(tmpdir(), 'kumo-guest-md-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const key = join(dir, 'id_ed25519');
    const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'probe@kumo', '-f', key], { encoding: 'utf8' });
    assert.equal(keygen.status, 0, keygen.stderr);
    const publicKey = spawnSync('cat', [`${key}.pub`], { encoding: 'utf8' }).stdout.trim();

    const requests: string[] = [];
    const metadata: Server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/openstack/latest/meta_data.json') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ uuid: 'a7d4', name: 'md-probe', hostname: 'md-probe', public_keys: { probe: `${publicKey}\n` } }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((ok) => metadata.listen(0, '127.0.0.1', ok));
    t.after(() => new Promise((ok) => metadata.close(ok)));
    const mdPort = (metadata.address() as AddressInfo).port;
    // guestfwd runs this per guest connection, stdin/stdout being the connection.
    const pipe = join(dir, 'pipe.mjs');
    await writeFile(
      pipe,
      "import net from 'node:net';\nconst s = net.connect(Number(process.argv[2]), '127.0.0.1');\nprocess.stdin.pipe(s);\ns.pipe(process.stdout);\n",
    );
    const sshPort = await freePort();
    const nic = [
      'user',
      'model=virtio-net-pci',
      'net=169.254.0.0/16',
      'host=169.254.0.2',
      `guestfwd=tcp:169.254.169.254:80-cmd:${process.execPath} ${pipe} ${mdPort}`,
      `hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    ].join(',');

    const guest = await bootGuest(image, ['-nic', nic]);
    t.after(() => guest.kill());
    const serial = await guest.waitForSerial(/^md-probe login: /m, BOOT_LIMIT_MS);
    t.diagnostic(`login prompt after ${guest.elapsedMs()} ms under TCG`);
    assert.match(serial, /hostname=md-probe datasource=metadata:http:\/\/169\.254\.169\.254 nic=eth0 ip=169\.254\.\d+\.\d+\/16/);
    assert.ok(requests.includes('/openstack/latest/meta_data.json'), requests.join(','));

    const res = await ssh({ key }, sshPort, 'id -un; hostname; cat ~/.ssh/authorized_keys');
    assert.equal(res.code, 0, res.out);
    assert.match(res.out, /^cirros\nmd-probe\n/m);
    assert.ok(res.out.includes(publicKey), res.out);

    const askpass = join(dir, 'askpass.sh');
    await writeFile(askpass, `#!/bin/sh\necho ${GUEST_PASSWORD}\n`, { mode: 0o700 });
    const byPassword = await ssh({ askpass }, sshPort, 'id -un');
    assert.equal(byPassword.code, 0, byPassword.out);
    assert.match(byPassword.out, /^cirros$/m);
  });
});
