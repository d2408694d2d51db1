/**
 * The Glance steps of the install guide (seed 001) with the real `openstack`
 * CLI against `kumo up`: image create --file --public, list, show, set and
 * unset properties, save (bytes identical), delete; and a demo user's private
 * image invisible to another project.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KumoProcess, baseEnv, ensureBuilt, freePort, json, ok, onPath, openstack, parseOpenrc, type Env } from '../support/kumo-cli.js';

const tools = onPath('openstack') && onPath('qemu-img');
const skipReason = !tools && !process.env.CI ? 'the openstack CLI or qemu-img is not installed' : undefined;

describe('openstack CLI: images against kumo up (Glance install guide)', { skip: skipReason ?? false, timeout: 180_000 }, () => {
  let tmp: string;
  let kumo: KumoProcess;
  let admin: Env;
  let imgFile: string;
  let imgBytes: Buffer;
  let cirrosId = '';

  before(async () => {
    ensureBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'kumo-e2e-image-'));
    const home = join(tmp, 'home');
    await mkdir(home);
    kumo = new KumoProcess(join(tmp, 'data'), await freePort(), home, ['--image-port', String(await freePort())]);
    await kumo.start();
    admin = { ...baseEnv(home), ...parseOpenrc(await readFile(join(tmp, 'data', 'admin-openrc'), 'utf8')) };
    // A small real qcow2: 1 MiB of data in a 64 MiB disk.
    const raw = join(tmp, 'disk.raw');
    await writeFile(raw, Buffer.concat([randomBytes(1 << 20), Buffer.alloc(1 << 20)]));
    imgFile = join(tmp, 'cirros.qcow2');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, imgFile]);
    execFileSync('qemu-img', ['resize', '-f', 'qcow2', imgFile, '64M']);
    imgBytes = await readFile(imgFile);
  });

  after(async () => {
    if (kumo) {
      const { code, signal } = await kumo.stop();
      if (code !== 0 && code !== null) process.stderr.write(`# kumo up ended with ${code ?? signal}\n${kumo.diagnostics()}\n`);
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the catalog lists the image service', async () => {
    const catalog = await json(['catalog', 'list'], admin);
    const entry = catalog.find((c: { Type: string }) => c.Type === 'image');
    assert.ok(entry, JSON.stringify(catalog));
    assert.equal(entry.Name, 'glance');
  });

  it('openstack image create "cirros" --file IMG --disk-format qcow2 --container-format bare --public', async () => {
    const img = await json(
      ['image', 'create', 'cirros', '--file', imgFile, '--disk-format', 'qcow2', '--container-format', 'bare', '--public'],
      admin,
    );
    cirrosId = img.id;
    assert.equal(img.name, 'cirros');
    assert.equal(img.visibility, 'public');
    assert.equal(img.disk_format, 'qcow2');
    // The CLI prints the image as created, before its data; show has the result of the upload.
    const shown = await json(['image', 'show', cirrosId], admin);
    assert.equal(shown.status, 'active');
    assert.equal(shown.checksum, createHash('md5').update(imgBytes).digest('hex'));
    assert.equal(Number(shown.size), imgBytes.length);
    const list = await json(['image', 'list'], admin);
    assert.deepEqual(
      list.map((i: Record<string, string>) => [i.Name, i.Status]),
      [['cirros', 'active']],
    );
  });

  it('openstack image show reports the virtual size read by qemu-img', async () => {
    const img = await json(['image', 'show', cirrosId], admin);
    assert.equal(Number(img.virtual_size), 64 * 1024 * 1024);
  });

  it('openstack image set/unset --property', async () => {
    assert.equal(await ok(['image', 'set', '--property', 'os_distro=cirros', '--property', 'hw_disk_bus=virtio', cirrosId], admin), '');
    let img = await json(['image', 'show', cirrosId], admin);
    assert.equal(img.properties.os_distro, 'cirros');
    assert.equal(img.properties.hw_disk_bus, 'virtio');
    assert.equal(await ok(['image', 'unset', '--property', 'hw_disk_bus', cirrosId], admin), '');
    img = await json(['image', 'show', cirrosId], admin);
    assert.equal(img.properties.hw_disk_bus, undefined);
    assert.equal(img.properties.os_distro, 'cirros');
  });

  it('openstack image save downloads identical bytes', async () => {
    const out = join(tmp, 'saved.qcow2');
    await ok(['image', 'save', '--file', out, cirrosId], admin);
    assert.ok((await readFile(out)).equals(imgBytes));
  });

  it("a demo user's private image is invisible to another project", async () => {
    const users: Record<string, Env> = {};
    for (const name of ['demo', 'other']) {
      await ok(['project', 'create', '--domain', 'default', `${name}project`], admin);
      await ok(['user', 'create', '--domain', 'default', '--password', `${name}-pass`, name], admin);
      await ok(['role', 'add', '--project', `${name}project`, '--user', name, 'member'], admin);
      users[name] = { ...admin, OS_PROJECT_NAME: `${name}project`, OS_USERNAME: name, OS_PASSWORD: `${name}-pass` };
    }
    const mine = await json(
      ['image', 'create', 'demo-private', '--file', imgFile, '--disk-format', 'qcow2', '--container-format', 'bare', '--private'],
      users.demo as Env,
    );
    assert.equal((await json(['image', 'show', mine.id], users.demo as Env)).status, 'active');
    const demoList = (await json(['image', 'list'], users.demo as Env)).map((i: Record<string, string>) => i.Name).sort();
    assert.deepEqual(demoList, ['cirros', 'demo-private']);
    const otherList = (await json(['image', 'list'], users.other as Env)).map((i: Record<string, string>) => i.Name);
    assert.deepEqual(otherList, ['cirros']);
    const show = await openstack(['image', 'show', mine.id], users.other as Env);
    assert.notEqual(show.code, 0);
    assert.match(show.stderr, /No Image found|404/);
    const publish = await openstack(['image', 'set', '--public', mine.id], users.demo as Env);
    assert.notEqual(publish.code, 0, 'only admins publish public images');
  });

  it('openstack image delete', async () => {
    assert.equal(await ok(['image', 'delete', cirrosId], admin), '');
    const list = await json(['image', 'list'], admin);
    assert.ok(!list.some((i: Record<string, string>) => i.ID === cirrosId));
  });
});
