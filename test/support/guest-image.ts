/**
 * Kumo's tiny cirros-like test guest (scripts/build-guest-image.sh, see
 * docs/guest-image.md): build it once (cached by content hash) and boot it
 * under QEMU with its serial console in a file the test can wait on.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GUEST_IMAGE_SCRIPT = join(ROOT, 'scripts', 'build-guest-image.sh');

/** Login of the guest's unprivileged user (as cirros). */
export const GUEST_USER = 'cirros';
export const GUEST_PASSWORD = 'gocubsgo';
/** Hostname when neither a config drive nor a metadata service names the guest. */
export const GUEST_DEFAULT_HOSTNAME = 'kumo-guest';

let building: Promise<string> | undefined;

/**
 * Path of the guest qcow2, running the build script when the cached image is
 * missing (about a minute; instant when cached). One build per process.
 */
export function ensureGuestImage(): Promise<string> {
  building ??= runBuild().catch((err: unknown) => {
    building = undefined;
    throw err;
  });
  return building;
}

function runBuild(): Promise<string> {
  return new Promise((resolvePath, reject) => {
    const child = spawn('bash', [GUEST_IMAGE_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const path = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && path !== '' && existsSync(path)) resolvePath(path);
      else reject(new Error(`build-guest-image.sh failed (exit ${code}):\n${stderr}${stdout}`));
    });
  });
}

export interface BootedGuest {
  pid: number;
  /** Milliseconds since QEMU was started. */
  elapsedMs(): number;
  /** The serial console so far. */
  serial(): Promise<string>;
  /** Resolves with the serial console once `pattern` appears in it; rejects after `timeoutMs`. */
  waitForSerial(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Kills QEMU (by its pid) and removes the serial log. */
  kill(): Promise<void>;
}

/**
 * Boots `image` (read-only: snapshot=on) under TCG with the serial console in
 * a temp file and no display. `extraArgs` adds QEMU options (drives, NICs); the
 * default has no network at all. `netns`: run QEMU inside that (lab) namespace.
 */
export async function bootGuest(
  image: string,
  extraArgs: string[] = ['-nic', 'none'],
  opts: { netns?: string } = {},
): Promise<BootedGuest> {
  const dir = await mkdtemp(join(tmpdir(), 'kumo-guest-boot-'));
  const log = join(dir, 'serial.log');
  const started = Date.now();
  const args = [
    '-accel',
    'tcg',
    '-m',
    '128',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-serial',
    `file:${log}`,
    '-drive',
    `file=${image},if=virtio,snapshot=on`,
    ...extraArgs,
  ];
  // In a lab namespace (its taps are there) through `ip netns exec`, which execs QEMU: the pid stays QEMU's.
  const argv = [...(opts.netns ? ['ip', 'netns', 'exec', opts.netns] : []), 'qemu-system-x86_64', ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<void>((done) => child.on('close', () => ((exited = true), done())));
  await new Promise<void>((ok, fail) => {
    child.once('spawn', ok);
    child.once('error', fail);
  });
  const pid = child.pid as number;
  const serial = async () => (existsSync(log) ? readFile(log, 'utf8') : '');
  return {
    pid,
    elapsedMs: () => Date.now() - started,
    serial,
    async waitForSerial(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = await serial();
        if (pattern.test(text)) return text;
        if (exited) throw new Error(`QEMU exited before ${pattern} appeared: ${stderr}\n--- serial ---\n${text}`);
        if (Date.now() > deadline) throw new Error(`${pattern} not on the serial console after ${timeoutMs} ms:\n${text}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async kill() {
      if (!exited) {
        process.kill(pid, 'SIGKILL');
        await closed;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
