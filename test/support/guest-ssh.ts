/**
 * SSH into a lab guest as cirros with the test's key pair, from inside a
 * namespace (a lab host, or the agent's DHCP namespace of the guest's
 * network), retried while the guest boots — bounded in time.
 */
import { runCommand } from '../../src/agent/host/host-process.js';

const OPTS = ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'ConnectTimeout=5', 'BatchMode=yes'].flatMap((o) => ['-o', o]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `ssh cirros@ip <command>` run in `netns`; its stdout, trimmed. Retries until `timeoutMs`, then rejects with the last error. */
export async function sshInNetns(netns: string, key: string, ip: string, command: string, timeoutMs = 240_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    try {
      const r = await runCommand(['ip', 'netns', 'exec', netns, 'ssh', '-i', key, ...OPTS, `cirros@${ip}`, command], { timeoutMs: 30_000 });
      return r.stdout.trim();
    } catch (e) {
      last = (e as Error).message;
      await sleep(3000);
    }
  }
  throw new Error(`no SSH to ${ip} from ${netns} within ${timeoutMs / 1000} s: ${last}`);
}

/** A guest-side command that says whether `ip` answers ping from the guest (exit 0 either way, so SSH failures stay apart). */
export const pingFromGuest = (ip: string): string =>
  `if ping -c 3 -W 2 ${ip} >/dev/null 2>&1; then echo reachable; else echo unreachable; fi`;
