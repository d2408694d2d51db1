import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive, killPid, spawnSupervised } from './host-process.js';

/** The proxy program next to this module (compiled .js, or .ts under the test loader). */
const PROXY = fileURLToPath(new URL(`../network/metadata-proxy${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * Runs the metadata proxy of one network inside its DHCP namespace
 * (started once; its pid file in `dir` lets a restarted agent find it).
 */
export async function ensureMetadataProxy(o: { netns: string; dir: string; socket: string; networkId: string }): Promise<void> {
  await mkdir(o.dir, { recursive: true });
  const pidFile = join(o.dir, 'metadata-proxy.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (pid > 0 && (await isAlive(pid, o.networkId))) return;
  const argv = [
    'ip',
    'netns',
    'exec',
    o.netns,
    process.execPath,
    ...process.execArgv,
    PROXY,
    '--socket',
    o.socket,
    '--network',
    o.networkId,
  ];
  const child = await spawnSupervised(argv, join(o.dir, 'metadata-proxy.log'));
  await writeFile(pidFile, `${child.pid}\n`);
}

export async function stopMetadataProxy(dir: string, networkId: string): Promise<void> {
  const pid = Number((await readFile(join(dir, 'metadata-proxy.pid'), 'utf8').catch(() => '')).trim());
  if (pid > 0) await killPid(pid, networkId, 'SIGTERM');
}
