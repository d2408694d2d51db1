import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Live QEMU pids the agent recorded (`<instances_dir>/<uuid>/qemu.pid`).
 * Guests outlive the agent by design, so a test or benchmark that stops
 * `kumo up` ends the guests it made by these pids, never by name.
 */
export function recordedQemuPids(instancesDir: string): number[] {
  if (!existsSync(instancesDir)) return [];
  const pids: number[] = [];
  for (const d of readdirSync(instancesDir)) {
    const f = join(instancesDir, d, 'qemu.pid');
    if (existsSync(f)) pids.push(Number(readFileSync(f, 'utf8').trim()));
  }
  return pids.filter((p) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  });
}
