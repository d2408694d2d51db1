/**
 * The test guest boots from its disk through the BIOS (syslinux), under TCG,
 * and ends at a getty login prompt on the serial console; with a config drive
 * it takes its hostname and user data from there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bootGuest, ensureGuestImage, GUEST_DEFAULT_HOSTNAME } from '../support/guest-image.js';

const BOOT_LIMIT_MS = 120_000;

/** genisoimage, or xorriso in mkisofs mode; undefined when neither is installed. */
function isoTool(): [string, ...string[]] | undefined {
  if (spawnSync('genisoimage', ['-version']).status === 0) return ['genisoimage'];
  if (spawnSync('xorriso', ['-version']).status === 0) return ['xorriso', '-as', 'mkisofs'];
  return undefined;
}

describe('kumo test guest image', { timeout: 10 * 60_000 }, () => {
  it('is a small qcow2 with a matching sha256 file', async () => {
    const image = await ensureGuestImage();
    const info = spawnSync('qemu-img', ['info', '--output=json', image], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    const parsed = JSON.parse(info.stdout) as { format: string; 'actual-size': number };
    assert.equal(parsed.format, 'qcow2');
    assert.ok(parsed['actual-size'] < 40 * 1024 * 1024, `image is ${parsed['actual-size']} bytes`);
    const check = spawnSync('sha256sum', ['-c', `${image}.sha256`], { cwd: join(image, '..'), encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  it('boots from disk without a network to a login prompt on the serial console', async (t) => {
    const image = await ensureGuestImage();
    const guest = await bootGuest(image);
    t.after(() => guest.kill());
    const serial = await guest.waitForSerial(/kumo-guest login:/, BOOT_LIMIT_MS);
    t.diagnostic(`login prompt after ${guest.elapsedMs()} ms under TCG`);
    assert.match(serial, /Linux version \S+-cloud-amd64/);
    assert.match(serial, /Command line: .*console=ttyS0,115200/);
    assert.match(serial, /=== kumo-guest: hostname=kumo-guest datasource=none nic=none ip=none ===/);
    assert.match(serial, /Log in as 'cirros' with password 'gocubsgo'/);
    assert.match(serial, new RegExp(`^${GUEST_DEFAULT_HOSTNAME} login: `, 'm'));
  });

  it('takes hostname, key and user data from a config-2 config drive', async (t) => {
    const iso = isoTool();
    if (!iso) return t.skip('needs genisoimage or xorriso');
    const image = await ensureGuestImage();
    const dir = await mkdtemp(join(tmpdir(), 'kumo-configdrive-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const latest = join(dir, 'tree', 'openstack', 'latest');
    await mkdir(latest, { recursive: true });
    const meta = {
      uuid: '0b5c1d7e-6a43-4b77-9d0e-3c2f1a9e8d41',
      name: 'drive-probe',
      hostname: 'drive-probe.novalocal',
      public_keys: { probe: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKumoProbeKeyOnlyForTheTest probe@kumo\n' },
    };
    await writeFile(join(latest, 'meta_data.json'), JSON.stringify(meta, null, 2));
    await writeFile(join(latest, 'user_data'), '#!/bin/sh\necho "user-data-ran as $(id -un) on $(hostname)"\n');
    const isoPath = join(dir, 'config.iso');
    const [tool, ...toolArgs] = iso;
    const made = spawnSync(tool, [...toolArgs, '-quiet', '-o', isoPath, '-V', 'config-2', '-r', '-J', join(dir, 'tree')], {
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);

    // Nova attaches config drives as an IDE CD-ROM by default.
    const guest = await bootGuest(image, ['-nic', 'none', '-drive', `file=${isoPath},if=ide,media=cdrom,readonly=on`]);
    t.after(() => guest.kill());
    const serial = await guest.waitForSerial(/^drive-probe login: /m, BOOT_LIMIT_MS);
    t.diagnostic(`login prompt after ${guest.elapsedMs()} ms under TCG`);
    assert.match(serial, /=== kumo-guest: hostname=drive-probe datasource=configdrive:\/dev\/sr0 /);
    await guest.waitForSerial(/user-data-ran as root on drive-probe/, 30_000);
  });
});
