/**
 * The reference for token issue: how fast `@node-rs/argon2` alone verifies an
 * argon2id hash with the server's default parameters, in this process, on
 * this machine, in the same run. A password login cannot beat this rate, so
 * issue rate / hash rate says how much the rest of the request path costs.
 */
import { hash, verify } from '@node-rs/argon2';

export interface Argon2Reference {
  params: { memoryCost: number; timeCost: number; parallelism: number };
  /** Hashes in flight at once (each occupies one libuv pool thread). */
  threads: number;
  /** Verifications per second with `threads` in flight. */
  rate: number;
  /** Mean time of one verification run alone (ms). */
  singleMs: number;
}

export async function measureArgon2(opts: {
  threads: number;
  durationMs: number;
  memoryCost: number;
  timeCost: number;
}): Promise<Argon2Reference> {
  // algorithm 2 = argon2id (the package's const enum has no runtime value), parallelism 1 as the server uses.
  const params = { memoryCost: opts.memoryCost, timeCost: opts.timeCost, parallelism: 1 };
  const stored = await hash('benchmark-password-0', { ...params, algorithm: 2 });
  // Warm-up, then a short serial run for the single-hash latency.
  for (let i = 0; i < 3; i++) await verify(stored, 'benchmark-password-0');
  let t = performance.now();
  const serial = 10;
  for (let i = 0; i < serial; i++) await verify(stored, 'benchmark-password-0');
  const singleMs = (performance.now() - t) / serial;

  let done = 0;
  t = performance.now();
  const deadline = t + opts.durationMs;
  const cap = Math.ceil(opts.durationMs / 1000) * 10_000; // bound the loop even on a very fast machine
  await Promise.all(
    Array.from({ length: opts.threads }, async () => {
      while (performance.now() < deadline && done < cap) {
        if (!(await verify(stored, 'benchmark-password-0'))) throw new Error('argon2 reference: verify failed');
        done += 1;
      }
    }),
  );
  return { params, threads: opts.threads, rate: done / ((performance.now() - t) / 1000), singleMs };
}
