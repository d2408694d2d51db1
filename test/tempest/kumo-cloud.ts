/**
 * Starts a fresh all-in-one Kumo (`node bin/kumo.js up`) in its own data dir
 * and stops it by pid with SIGTERM. Port 0 lets each service pick a free port
 * without a probe-then-bind race; the URLs are read from the endpoint lines
 * of its progress output (`kumo:   image      http://127.0.0.1:41234`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { issuePasswordToken } from '../support/kumo-cli.js';

export interface Cloud {
  pid: number;
  identityUri: string;
  /** Catalog type → URL, as `kumo up` listed them. */
  endpoints: Record<string, string>;
  dataDir: string;
  admin: { username: string; password: string; projectName: string; domainName: string };
  region: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  repoDir: string;
  dataDir: string;
  logFile: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Catalog types the run needs; a cloud that lists none of one fails to start here, with a clear message. */
  services?: string[];
}

/** Every service's port, so a run never collides with a cloud already on 5000/9292 (identity takes a flag). */
const FREE_PORTS: Record<string, string> = {
  KUMO_IMAGE_PORT: '0',
  KUMO_PLACEMENT_PORT: '0',
  KUMO_COMPUTE_PORT: '0',
  KUMO_NETWORK_PORT: '0',
  KUMO_COMPUTE_CONSOLE_PROXY_PORT: '0',
  KUMO_DASHBOARD_PORT: '0',
};

/** `kumo:   image      http://...` lines, printed once the cloud is ready. */
function endpointsIn(out: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of out.matchAll(/^kumo:\s+([a-z][\w-]*)\s+(https?:\/\/\S+)\s*$/gm)) found[m[1] as string] = m[2] as string;
  return found;
}

async function waitHealthy(base: string, deadline: number, logFile: string): Promise<void> {
  for (;;) {
    if (Date.now() > deadline) throw new Error(`${base}/healthcheck never answered 200; see ${logFile}`);
    const ok = await fetch(`${base}/healthcheck`).then(
      async (r) => r.status === 200 && (await r.text()).trim() === 'OK',
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function parseOpenrc(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2] as string;
    // Values are single-quoted with '\'' for embedded quotes (credential-files.ts).
    if (v.startsWith("'")) v = v.slice(1, -1).replaceAll("'\\''", "'");
    vars[m[1] as string] = v;
  }
  return vars;
}

async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startCloud(o: StartOptions): Promise<Cloud> {
  const log = createWriteStream(o.logFile);
  const child = spawn(
    process.execPath,
    [join(o.repoDir, 'bin/kumo.js'), 'up', '--data-dir', o.dataDir, '--host', '127.0.0.1', '--identity-port', '0'],
    {
      cwd: o.repoDir,
      env: { ...process.env, ...FREE_PORTS, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error('could not start kumo');
  child.stderr.pipe(log);
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    log.write(b);
  });
  const stop = (): Promise<void> => stopChild(child).finally(() => log.end());
  try {
    const deadline = Date.now() + (o.timeoutMs ?? 60_000);
    // The endpoint lines come between "ready in" and "admin credentials:".
    while (!/^kumo: admin credentials: /m.test(out)) {
      if (child.exitCode !== null) throw new Error(`kumo exited with ${child.exitCode} before it was ready; see ${o.logFile}`);
      if (Date.now() > deadline) throw new Error(`kumo not ready in time; see ${o.logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const endpoints = endpointsIn(out);
    const missing = ['identity', ...(o.services ?? [])].filter((s) => !endpoints[s]);
    if (missing.length > 0) {
      throw new Error(`kumo up lists no ${missing.join(', ')} endpoint (it lists ${Object.keys(endpoints).join(', ')}); see ${o.logFile}`);
    }
    const uri = endpoints.identity as string;
    for (const url of Object.values(endpoints)) {
      await waitHealthy(new URL(url).origin, deadline, o.logFile);
    }
    const rc = parseOpenrc(readFileSync(join(o.dataDir, 'admin-openrc'), 'utf8'));
    return {
      pid: child.pid,
      identityUri: uri,
      endpoints,
      dataDir: o.dataDir,
      logFile: o.logFile,
      region: rc.OS_REGION_NAME ?? 'RegionOne',
      admin: {
        username: rc.OS_USERNAME ?? 'admin',
        password: rc.OS_PASSWORD ?? '',
        projectName: rc.OS_PROJECT_NAME ?? 'admin',
        domainName: rc.OS_USER_DOMAIN_NAME ?? 'Default',
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** An admin token and the admin user's id, for read-only probes. */
export async function adminToken(c: Cloud): Promise<{ token: string; userId: string }> {
  return issuePasswordToken(c.identityUri, c.admin);
}
