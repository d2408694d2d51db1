import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

/**
 * Acceptance: Tempest 33 against a fresh `kumo up`, through the same script
 * that writes docs/conformance.md (here its required phase only, without
 * docs): every interop-required image test (2022.11, 23 tests) must pass.
 * Tempest missing is a skip locally and a failure in CI.
 */
const haveTempest = spawnSync('sh', ['-c', 'command -v tempest'], { encoding: 'utf8' }).status === 0;
const skip = haveTempest ? false : process.env.CI ? false : 'tempest is not installed (apt-get install tempest)';

const REQUIRED_IMAGE_TESTS = 23;

describe('Tempest 33 image conformance', { skip, timeout: 600_000 }, () => {
  it('passes every required interop image test', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/conformance.ts', 'image', '--phase', 'required', '--no-docs'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    const m = /\[required\] (\d+) tests in [\d.]+ s: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(out);
    assert.ok(m, `conformance run did not report the required phase (exit ${code}):\n${out.slice(-4000)}`);
    const [total, passed] = [Number(m[1]), Number(m[2])];
    assert.equal(total, REQUIRED_IMAGE_TESTS, out.slice(-4000));
    assert.equal(passed, REQUIRED_IMAGE_TESTS, `required image tests: ${m[0]}\n${out.slice(-4000)}`);
    assert.equal(code, 0, out.slice(-4000));
  });
});
