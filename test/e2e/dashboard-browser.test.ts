/**
 * The dashboard in real headless Chromium (Debian's, driven by
 * playwright-core) against a fresh `kumo up` with the QEMU driver. As the
 * demo user: sign in, upload an image (progress bar), create a network and
 * subnet, import a key pair, launch an instance on that network, see it
 * become Active, read its console log and see the guest in its VNC console,
 * delete it. As admin: create a project and a user with a role on it. A
 * member sees no admin pages, is refused them in the UI and by the API.
 *
 * The agent's data plane (the network's bridge, tap, DHCP namespace) and the
 * guest live in a lab namespace this file creates (GUIDE §5); the guest's VNC
 * server is a unix socket (agent.vnc_listen = unix) the console proxy reaches
 * from outside the namespace. KUMO_DASHBOARD_SCREENSHOTS=1 writes the pages'
 * screenshots to docs/images/.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureGuestImage } from '../support/guest-image.js';
import {
  KumoProcess,
  ROOT,
  baseEnv,
  ensureBuilt,
  ensureDashboardBuilt,
  freePort,
  ok,
  onPath,
  parseOpenrc,
  type Env,
} from '../support/kumo-cli.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';
import { CHROMIUM, launchBrowser, type Browser } from '../support/novnc-browser.js';
import { recordedQemuPids } from '../support/qemu-pids.js';

const unavailable = await labUnavailable();
const tools = onPath('openstack') && onPath('qemu-system-x86_64') && onPath('ssh-keygen') && onPath('dnsmasq') && existsSync(CHROMIUM);
const skip =
  unavailable ?? (!tools && !process.env.CI ? 'the openstack CLI, QEMU, dnsmasq or chromium is not installed' : undefined) ?? false;
const SHOTS = process.env.KUMO_DASHBOARD_SCREENSHOTS ? join(ROOT, 'docs', 'images') : undefined;
const DEMO_PASSWORD = 'demo-secret-1';

describe('dashboard in headless Chromium against kumo up', { skip, timeout: 900_000 }, () => {
  let tmp: string;
  let dataDir: string;
  let lab: NetnsLab;
  let kumo: KumoProcess;
  let admin: Env;
  let url: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const shot = async (name: string): Promise<void> => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`) });
  };

  async function signIn(user: string, password: string): Promise<void> {
    await page.goto(url);
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Instances' }).waitFor({ timeout: 20_000 });
  }

  async function signOut(): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  }

  /** Goes to a page through the navigation, as a user would. */
  async function open(link: string, heading = link): Promise<void> {
    await page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
  }

  /** The table row holding `text`, once its cell `column` says `value` (polled: the pages refresh themselves). */
  async function waitRow(text: string, value: RegExp, timeoutMs = 60_000): Promise<string> {
    const row = page.locator('tbody tr', { hasText: text }).first();
    const end = Date.now() + timeoutMs;
    let seen = '';
    while (Date.now() < end) {
      seen = (await row.count()) > 0 ? await row.innerText() : '(no row)';
      if (value.test(seen)) return seen;
      await page.waitForTimeout(1000);
    }
    assert.fail(`row "${text}" never matched ${value}: ${seen}\n${await page.locator('main').innerText()}`);
  }

  before(async () => {
    ensureBuilt();
    ensureDashboardBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'kumo-e2e-dash-'));
    // dnsmasq (as nobody) re-reads its hosts file under the data dir: the path must be traversable.
    await chmod(tmp, 0o711);
    dataDir = join(tmp, 'data');
    const home = join(tmp, 'home');
    await mkdir(home);
    lab = await NetnsLab.create(['host']);
    kumo = new KumoProcess(dataDir, await freePort(), home, ['--image-port', '0', '--driver', 'qemu'], {
      ...lab.agentEnv('host'),
      KUMO_AGENT_VNC_LISTEN: 'unix',
    });
    await kumo.start();
    // The dashboard's line follows the ready line.
    for (let i = 0; i < 50 && !kumo.printed(/dashboard: (http:\S+)/); i++) await new Promise((r) => setTimeout(r, 100));
    url = kumo.printed(/dashboard: (http:\S+)/) ?? '';
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, kumo.diagnostics());
    admin = { ...baseEnv(home), ...parseOpenrc(await readFile(join(dataDir, 'admin-openrc'), 'utf8')) };
    // What an operator does first (seed 001): a flavor, and a demo project with a member.
    await ok(['flavor', 'create', '--id', '1', '--vcpus', '1', '--ram', '128', '--disk', '2', 'm1.small'], admin);
    await ok(['project', 'create', 'demo'], admin);
    await ok(['user', 'create', '--password', DEMO_PASSWORD, '--project', 'demo', 'demo'], admin);
    await ok(['role', 'add', '--project', 'demo', '--user', 'demo', 'member'], admin);
    browser = await launchBrowser({ width: 1280, height: 800 });
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // The page's Content-Security-Policy must not block anything the app does.
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
    });
    page.on('dialog', (d) => void d.accept());
  });

  after(async () => {
    await browser?.close();
    const qemu = dataDir ? recordedQemuPids(join(dataDir, 'instances')) : [];
    if (kumo) await kumo.stop();
    if (lab) assert.deepEqual(await lab.teardown(qemu), []);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('signs in as the demo user: the instance list of the demo project', async () => {
    await signIn('demo', DEMO_PASSWORD);
    assert.equal(await page.getByLabel('Project').locator('option:checked').innerText(), 'demo');
    await page.getByText('No instances yet.').waitFor();
  });

  it('uploads an image from the browser with a progress bar', async () => {
    await open('Images');
    await page.getByRole('button', { name: 'Create Image' }).click();
    const form = page.getByRole('form', { name: 'Create image' });
    await form.getByLabel('File').setInputFiles(await ensureGuestImage());
    await form.getByLabel('Image name').fill('cirros');
    await form.getByLabel('Format').selectOption('qcow2');
    await form.getByRole('button', { name: 'Create Image' }).click();
    await form.getByRole('progressbar').waitFor();
    await waitRow('cirros', /active/);
    await shot('images');
  });

  it('creates a network with a subnet', async () => {
    await open('Networks');
    await page.getByRole('button', { name: 'Create Network' }).click();
    const form = page.getByRole('form', { name: 'Create network' });
    await form.getByLabel('Network name').fill('demo-net');
    await form.getByLabel('Subnet name').fill('demo-subnet');
    await form.getByLabel('Network address (CIDR)').fill('10.0.5.0/24');
    await form.getByRole('button', { name: 'Create' }).click();
    await waitRow('demo-net', /demo-subnet 10\.0\.5\.0\/24/);
    await shot('networks');
  });

  it("shows the API's error next to the form that caused it, and leaves nothing half made", async () => {
    await page.getByRole('button', { name: 'Create Network' }).click();
    const form = page.getByRole('form', { name: 'Create network' });
    await form.getByLabel('Network name').fill('bad-net');
    await form.getByLabel('Network address (CIDR)').fill('10.0.6.0/33');
    await form.getByRole('button', { name: 'Create' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /10\.0\.6\.0\/33/);
    await form.getByRole('button', { name: 'Cancel' }).click();
    await page.reload();
    await waitRow('demo-net', /demo-net/);
    assert.equal(await page.locator('tbody tr', { hasText: 'bad-net' }).count(), 0);
  });

  it('creates a router and connects the subnet to it', async () => {
    await open('Routers');
    const form = page.getByRole('form', { name: 'Create router' });
    await form.getByLabel('Router name').fill('demo-router');
    await form.getByRole('button', { name: 'Create Router' }).click();
    await waitRow('demo-router', /ACTIVE/);
    const row = page.locator('tbody tr', { hasText: 'demo-router' });
    await row.getByLabel('Subnet for demo-router').selectOption({ label: 'demo-subnet 10.0.5.0/24' });
    await row.getByRole('button', { name: 'Add Interface' }).click();
    const end = Date.now() + 20_000;
    let ports: { fixed_ips: { ip_address: string }[] }[] = [];
    while (ports.length === 0 && Date.now() < end) {
      ports = await page.evaluate(`fetch('/api/network/v2.0/ports?device_owner=network:router_interface', {
        headers: { 'X-Auth-Token': JSON.parse(sessionStorage.getItem('kumo.session')).token },
      }).then((r) => r.json()).then((b) => b.ports)`);
      if (ports.length === 0) await page.waitForTimeout(500);
    }
    assert.equal(ports[0]?.fixed_ips[0]?.ip_address, '10.0.5.1');
    // The network's own page lists its subnet and the router's port.
    await open('Networks');
    await page.getByRole('link', { name: 'demo-net' }).click();
    await page.getByRole('heading', { name: 'demo-net' }).waitFor();
    await waitRow('demo-subnet', /10\.0\.5\.0\/24/);
    await waitRow('network:router_interface', /10\.0\.5\.1/);
  });

  it('imports a key pair', async () => {
    const key = join(tmp, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    await open('Key Pairs');
    await page.getByRole('button', { name: 'Import Public Key' }).click();
    const form = page.getByRole('form', { name: 'Import public key' });
    await form.getByLabel('Key pair name').fill('mykey');
    await form.getByLabel('Public key').fill(await readFile(`${key}.pub`, 'utf8'));
    await form.getByRole('button', { name: 'Import' }).click();
    await waitRow('mykey', /SHA256:|[0-9a-f]{2}:[0-9a-f]{2}/);
  });

  it('creates a key pair: the private key is downloaded once', async () => {
    await page.getByRole('button', { name: 'Create Key Pair' }).click();
    const form = page.getByRole('form', { name: 'Create key pair' });
    await form.getByLabel('Key pair name').fill('generated');
    const download = page.waitForEvent('download');
    await form.getByRole('button', { name: 'Create' }).click();
    const file = await (await download).path();
    assert.match(await readFile(file, 'utf8'), /^-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    await waitRow('generated', /generated/);
  });

  it('launches an instance on the network and sees it become Active', async () => {
    await open('Instances');
    await page.getByRole('button', { name: 'Launch Instance' }).click();
    const form = page.getByRole('form', { name: 'Launch instance' });
    await form.getByLabel('Instance name').fill('web1');
    await form.getByLabel('Source image').selectOption({ label: 'cirros' });
    await form.getByLabel('Flavor').selectOption('1');
    await form.getByLabel('Key pair').selectOption('mykey');
    await form.getByRole('checkbox', { name: /demo-net/ }).check();
    await shot('launch');
    await form.getByRole('button', { name: 'Launch' }).click();
    await waitRow('web1', /ACTIVE/, 300_000);
    assert.match(await waitRow('web1', /10\.0\.5\.\d+/), /demo-net: 10\.0\.5\.\d+/);
    await shot('instances');
    await open('Overview');
    await page.locator('.quota').first().waitFor();
    assert.match(await page.locator('.quotas').innerText(), /Instances\s*1 of 10/);
    await shot('overview');
    await open('Topology', 'Network Topology');
    await page.getByText('▣ web1').waitFor();
    await shot('topology');
    await open('Instances');
  });

  it('shows the console log and the VNC console of the instance', async () => {
    await page.getByRole('link', { name: 'web1' }).click();
    await page.getByRole('heading', { name: 'web1' }).waitFor();
    await page.getByRole('tab', { name: 'Interfaces' }).click();
    await page.locator('tbody tr', { hasText: /10\.0\.5\.\d+/ }).waitFor();
    await page.getByRole('tab', { name: 'Console Log' }).click();
    await page.getByLabel('Lines').fill('2000');
    const log = page.getByLabel('Console log');
    const end = Date.now() + 180_000;
    while (!/login:/.test(await log.innerText()) && Date.now() < end) await page.waitForTimeout(2000);
    assert.match(await log.innerText(), /Linux version[\s\S]*login:/);
    await shot('console-log');
    await page.getByRole('tab', { name: 'Console', exact: true }).click();
    await page
      .locator('iframe[title="Instance console"]')
      .waitFor({ timeout: 20_000 })
      .catch(async () => assert.fail(`no console frame: ${await page.locator('main').innerText()}`));
    let frame = page.frames().find((f) => f.url().includes('vnc_lite.html'));
    for (let i = 0; i < 40 && !frame; i++) {
      await page.waitForTimeout(250);
      frame = page.frames().find((f) => f.url().includes('vnc_lite.html'));
    }
    assert.ok(frame, 'no console frame');
    await frame.waitForSelector('body[data-state="connected"]', { timeout: 60_000 });
    // A string: this file is compiled without the DOM library.
    const colours = (): Promise<number> =>
      frame.evaluate<number>(`(() => {
        const canvas = document.querySelector('#screen canvas');
        if (!canvas || canvas.width === 0) return 0;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        const seen = new Set();
        for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        return seen.size;
      })()`);
    let n = await colours();
    for (let i = 0; i < 60 && n < 2; i++) {
      await page.waitForTimeout(500);
      n = await colours();
    }
    assert.ok(n >= 2, `the console canvas stayed uniform (${n} colour)`);
    await shot('console');
  });

  it('snapshots the instance into an image, then deletes the image', async () => {
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByLabel('Snapshot name').fill('web1-snap');
    await page.getByRole('button', { name: 'Create Snapshot' }).click();
    await open('Images');
    await waitRow('web1-snap', /active/, 180_000);
    await page.locator('tbody tr', { hasText: 'web1-snap' }).getByRole('button', { name: 'Delete' }).click();
    const end = Date.now() + 30_000;
    while ((await page.locator('tbody tr', { hasText: 'web1-snap' }).count()) > 0 && Date.now() < end) await page.waitForTimeout(500);
    assert.equal(await page.locator('tbody tr', { hasText: 'web1-snap' }).count(), 0, 'the snapshot is still listed');
  });

  it('stops and starts the instance from its row', async () => {
    await open('Instances');
    const row = page.locator('tbody tr', { hasText: 'web1' });
    await row.getByRole('button', { name: 'Stop' }).click();
    await waitRow('web1', /SHUTOFF/, 120_000);
    await row.getByRole('button', { name: 'Start' }).click();
    await waitRow('web1', /ACTIVE\s*(\t|\n)/, 120_000);
  });

  it('deletes the instance', async () => {
    await open('Instances');
    await page.locator('tbody tr', { hasText: 'web1' }).getByRole('button', { name: 'Delete' }).click();
    const end = Date.now() + 120_000;
    while ((await page.locator('tbody tr', { hasText: 'web1' }).count()) > 0 && Date.now() < end) await page.waitForTimeout(1000);
    assert.equal(await page.locator('tbody tr', { hasText: 'web1' }).count(), 0, 'web1 is still listed');
    await signOut();
  });

  it('as admin: creates a project and a user with a role on it', async () => {
    await signIn('admin', admin.OS_PASSWORD!);
    await open('Projects');
    const p = page.getByRole('form', { name: 'Create project' });
    await p.getByLabel('Project name').fill('newproj');
    await p.getByRole('button', { name: 'Create Project' }).click();
    await waitRow('newproj', /newproj/);
    await open('Users');
    const u = page.getByRole('form', { name: 'Create user' });
    await u.getByLabel('User name').fill('newuser');
    await u.getByLabel('Password').fill('newuser-secret-1');
    await u.getByLabel('Primary project').selectOption({ label: 'newproj' });
    await u.getByLabel('Role').selectOption('member');
    await u.getByRole('button', { name: 'Create User' }).click();
    await waitRow('newuser', /member@newproj/);
    // A role for an existing user: demo becomes a member of newproj too.
    const grant = page.getByRole('form', { name: 'Grant role' });
    await grant.getByLabel('User').selectOption({ label: 'demo' });
    await grant.getByLabel('Project').selectOption({ label: 'newproj' });
    await grant.getByLabel('Role').selectOption({ label: 'member' });
    await grant.getByRole('button', { name: 'Grant Role' }).click();
    await waitRow('demo', /member@newproj/);
    await shot('users');
    await signOut();
  });

  it('signs in with the keyboard alone, and renews the session with the password before it ends', async () => {
    await page.goto(url);
    await page.getByLabel('User name').focus();
    await page.keyboard.type('demo');
    await page.keyboard.press('Tab');
    await page.keyboard.type(DEMO_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    const session = (): Promise<{ token: string; expiresAt: string }> =>
      page.evaluate(`JSON.parse(sessionStorage.getItem('kumo.session'))`);
    const before = await session();
    // Two minutes left (as if the session were old): the banner asks for the password.
    await page.evaluate(`(() => {
      const s = JSON.parse(sessionStorage.getItem('kumo.session'));
      s.expiresAt = new Date(Date.now() + 120000).toISOString();
      sessionStorage.setItem('kumo.session', JSON.stringify(s));
    })()`);
    await page.reload();
    const banner = page.getByRole('form', { name: 'Renew session' });
    assert.match(await banner.innerText(), /ends in 2 min/);
    await banner.getByLabel('Password to renew the session').fill(DEMO_PASSWORD);
    await banner.getByRole('button', { name: 'Stay signed in' }).click();
    await banner.waitFor({ state: 'detached' });
    const after = await session();
    assert.notEqual(after.token, before.token);
    assert.ok(Date.parse(after.expiresAt) > Date.now() + 30 * 60_000, after.expiresAt);
    // The old token was revoked; the new one works.
    const status = (t: string): Promise<number> =>
      page.evaluate<number>(`fetch('/api/compute/servers', { headers: { 'X-Auth-Token': ${JSON.stringify(t)} } }).then((r) => r.status)`);
    assert.equal(await status(before.token), 401);
    assert.equal(await status(after.token), 200);
    await signOut();
  });

  it('works on a narrow screen: the navigation folds behind a menu button', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      await signIn('demo', DEMO_PASSWORD);
      const nav = page.getByRole('navigation', { name: 'Main' });
      assert.equal(await nav.isVisible(), false);
      await page.getByRole('button', { name: 'Menu' }).click();
      await nav.getByRole('link', { name: 'Networks', exact: true }).click();
      await page.getByRole('heading', { name: 'Networks', exact: true }).waitFor();
      assert.equal(await nav.isVisible(), false);
      await shot('narrow');
      await signOut();
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('switches between the projects the user has a role on', async () => {
    await signIn('demo', DEMO_PASSWORD);
    const picker = page.getByLabel('Project');
    assert.deepEqual(await picker.locator('option').allInnerTexts(), ['demo', 'newproj']);
    await open('Networks');
    await picker.selectOption({ label: 'newproj' });
    await page.waitForURL(/\/project\/instances$/);
    await open('Networks');
    // newproj has no network of its own, and demo's is not shown.
    await page.getByText('No networks.').waitFor();
    await page.getByLabel('Project').selectOption({ label: 'demo' });
    // The switch is done once the page has gone to the new project's instances.
    await page.waitForURL(/\/project\/instances$/);
    await open('Networks');
    await waitRow('demo-net', /demo-net/);
    await signOut();
  });

  it('a member sees no admin pages and is refused them, in the UI and by the API', async () => {
    await signIn('demo', DEMO_PASSWORD);
    assert.equal(await page.getByRole('navigation').getByRole('heading', { name: 'Admin' }).count(), 0);
    await page.goto(`${url}/identity/users`);
    await page.getByRole('heading', { name: 'Not authorized' }).waitFor();
    const status = await page.evaluate<number>(`fetch('/api/identity/v3/users', {
      headers: { 'X-Auth-Token': JSON.parse(sessionStorage.getItem('kumo.session')).token },
    }).then((r) => r.status)`);
    assert.equal(status, 403);
    assert.deepEqual(pageErrors, []);
  });
});
