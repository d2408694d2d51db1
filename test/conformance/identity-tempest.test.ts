import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

/**
 * Acceptance: Tempest 33 against a fresh `kumo up`, through the same script
 * that writes docs/conformance.md (here with --no-docs). The interop-required
 * identity tests must all pass, and the full identity v3 suite must have no
 * failure. Tempest missing is a skip locally and a failure in CI.
 */
const haveTempest = spawnSync('sh', ['-c', 'command -v tempest'], { encoding: 'utf8' }).status === 0;
const skip = haveTempest ? false : process.env.CI ? false : 'tempest is not installed (apt-get install tempest)';

interface Phase {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
}

function phases(out: string): Record<string, Phase> {
  const found: Record<string, Phase> = {};
  for (const m of out.matchAll(/\[(\w+)\] (\d+) tests in [\d.]+ s: (\d+) passed, (\d+) failed, (\d+) skipped/g)) {
    found[m[1] as string] = { total: Number(m[2]), passed: Number(m[3]), failed: Number(m[4]), skipped: Number(m[5]) };
  }
  return found;
}

describe('Tempest 33 identity conformance', { skip, timeout: 600_000 }, () => {
  it('passes every required interop test and fails none of the identity v3 suite', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/conformance.ts', 'identity', '--no-docs'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    const p = phases(out);
    assert.ok(p.required && p.full, `conformance run did not report both phases (exit ${code}):\n${out.slice(-4000)}`);
    assert.equal(p.required.total, 17, out.slice(-4000));
    assert.equal(p.required.passed, 17, `required identity tests: ${JSON.stringify(p.required)}\n${out.slice(-4000)}`);
    assert.equal(p.full.failed, 0, `identity v3 suite failures: ${JSON.stringify(p.full)}\n${out.slice(-4000)}`);
    assert.ok(p.full.passed / p.full.total >= 0.9, `identity v3 pass rate ${p.full.passed}/${p.full.total}`);
  });
});
