/** What Linux's /proc says about a process and the machine, for benchmark reports. */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface MemoryStats {
  /** Resident set size now, in MiB. */
  rssMiB: number;
  /** Peak resident set size since start, in MiB. */
  peakRssMiB: number;
  /** Of rssMiB: anonymous memory (heaps, stacks) and file-backed pages (the node binary, native addons). */
  anonMiB: number;
  fileMiB: number;
}

export function memoryOf(pid: number): MemoryStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024, anonMiB: kib('RssAnon') / 1024, fileMiB: kib('RssFile') / 1024 };
}

/** CPU seconds (user + system) the process (all threads) or one of its threads (tid) has used so far. */
export function cpuSecondsOf(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Threads of the process (libuv pool, V8 helpers, ...). */
export function threadsOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
}

export interface MachineInfo {
  cpus: number;
  model: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  let model = cpus()[0]?.model ?? 'unknown';
  let kernel = 'unknown';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // Not Linux: keep what node:os says.
  }
  return {
    cpus: cpus().length,
    model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel,
    date: new Date().toISOString(),
  };
}

export interface MachineCpu {
  /** Seconds of CPU time (all CPUs) spent busy: user, nice, system, irq, softirq. */
  busy: number;
  /** Seconds idle or waiting for I/O. */
  idle: number;
  /** Seconds the hypervisor ran something else while we wanted the CPU. */
  steal: number;
}

/** Machine-wide CPU time so far (the first line of /proc/stat). */
export function machineCpu(): MachineCpu {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { busy: (user + nice + system + irq + softirq) / 100, idle: (idle + iowait) / 100, steal: steal / 100 };
}

/**
 * Seconds a thread has spent runnable but waiting for a CPU (second field of
 * /proc/<pid>/task/<tid>/schedstat): how much other threads delay it. NaN if
 * the kernel does not provide schedstat.
 */
export function runqueueWaitSecondsOf(pid: number, tid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/)[1]) / 1e9;
  } catch {
    return NaN;
  }
}
