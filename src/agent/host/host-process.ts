/**
 * The only place of the agent that starts processes. Two shapes:
 * - `runCommand`: a short helper (qemu-img, ip, iptables-restore) run to completion, output captured
 *   (bounded) and a non-zero exit turned into an error;
 * - `spawnSupervised`: a long-lived child (QEMU) in its own process group so an
 *   agent restart does not take it down; the caller records the pid and later
 *   re-attaches to it with `isAlive` / `killPid`.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Resource limits for untrusted input (Nova runs qemu-img info under prlimit the same way). */
export interface ProcessLimits {
  /** Address space in bytes. */
  addressSpace?: number;
  /** CPU seconds. */
  cpuSeconds?: number;
}

const MAX_CAPTURE = 1 << 20;

function withLimits(argv: string[], limits?: ProcessLimits): string[] {
  if (!limits) return argv;
  const pre = ['prlimit'];
  if (limits.addressSpace) pre.push(`--as=${limits.addressSpace}`);
  if (limits.cpuSeconds) pre.push(`--cpu=${limits.cpuSeconds}`);
  return [...pre, '--', ...argv];
}

/** Runs `argv` (no shell) and resolves with its output; rejects on a non-zero exit or `timeoutMs`. */
export function runCommand(
  argv: string[],
  opts: { limits?: ProcessLimits; timeoutMs?: number; /** Written to stdin (e.g. an iptables-restore file). */ input?: string } = {},
): Promise<CommandResult> {
  const full = withLimits(argv, opts.limits);
  return new Promise((resolve, reject) => {
    const child = spawn(full[0]!, full.slice(1), { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < MAX_CAPTURE) stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${argv[0]} ${argv[1] ?? ''} failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(0, 2000)}`));
    });
  });
}

export interface SupervisedProcess {
  pid: number;
  /** Resolves with the exit code (or signal) once the child is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a long-lived child detached in its own process group, stdout and
 * stderr appended to `logFile`. The agent does not keep the event loop alive
 * for it (unref), so closing the agent leaves the guest running.
 */
export function spawnSupervised(argv: string[], logFile: string): Promise<SupervisedProcess> {
  const fd = openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      child.on('exit', (code, signal) => res({ code, signal })),
    );
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve({ pid: child.pid!, exited });
    });
  });
}

/** True when `pid` exists and its command line contains `marker` (guards against pid reuse). */
export async function isAlive(pid: number, marker: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const { readFile } = await import('node:fs/promises');
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
    // A zombie has an empty cmdline: it is gone for our purposes.
    return cmdline.includes(marker);
  } catch {
    return false;
  }
}

/** Sends `signal` to a pid the agent started (checked with `marker` first). */
export async function killPid(pid: number, marker: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<boolean> {
  if (!(await isAlive(pid, marker))) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
