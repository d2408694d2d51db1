/**
 * Turns a Tempest run (the subunit stream, decoded by subunit_to_json.py)
 * into one result per expected test. Tests of a class whose setUpClass
 * failed or skipped never appear in the stream; they take the class result.
 */

export type Status = 'pass' | 'fail' | 'skip';

export interface RawResult {
  id: string;
  status: Status;
  reason: string;
  requests: string[];
}

export interface TestResult extends RawResult {
  /** Where the result came from: the test itself, its class fixture, or nothing (never ran). */
  source: 'test' | 'class' | 'missing';
}

export interface Totals {
  total: number;
  pass: number;
  fail: number;
  skip: number;
  /** pass / (pass + fail), skips excluded. */
  passRate: number;
  /** pass / total, skips counted as non-passes. */
  passRateWithSkips: number;
}

/** `tempest.a.b.Class.test_x[id-...,smoke]` → `tempest.a.b.Class.test_x`. */
export function bareId(id: string): string {
  return id.replace(/\[.*\]$/, '').trim();
}

/** `setUpClass (tempest.a.b.Class)` → ['setUpClass', 'tempest.a.b.Class']; undefined for tests. */
export function fixtureOf(id: string): { fixture: string; cls: string } | undefined {
  const m = /^(setUpClass|tearDownClass|setUpModule|tearDownModule) \((.+)\)$/.exec(id.trim());
  return m ? { fixture: m[1] as string, cls: m[2] as string } : undefined;
}

export function classOf(testId: string): string {
  const bare = bareId(testId);
  return bare.slice(0, bare.lastIndexOf('.'));
}

export interface Merged {
  tests: TestResult[];
  /** Class fixture results that were not setUpClass successes (e.g. tearDownClass failures). */
  fixtures: RawResult[];
}

export function mergeResults(expected: string[], raw: RawResult[]): Merged {
  const byId = new Map<string, RawResult>();
  const setUp = new Map<string, RawResult>();
  const fixtures: RawResult[] = [];
  for (const r of raw) {
    const f = fixtureOf(r.id);
    if (f) {
      if (f.fixture === 'setUpClass') setUp.set(f.cls, r);
      if (r.status !== 'pass') fixtures.push(r);
    } else {
      byId.set(bareId(r.id), r);
    }
  }
  const tests = expected.map((id): TestResult => {
    const own = byId.get(bareId(id));
    if (own) return { ...own, id: bareId(id), source: 'test' };
    const cls = setUp.get(classOf(id));
    if (cls) return { ...cls, id: bareId(id), source: 'class' };
    return { id: bareId(id), status: 'fail', reason: 'not run (no result in the subunit stream)', requests: [], source: 'missing' };
  });
  return { tests, fixtures };
}

export function totals(tests: TestResult[]): Totals {
  const count = (s: Status): number => tests.filter((t) => t.status === s).length;
  const pass = count('pass');
  const fail = count('fail');
  const skip = count('skip');
  return {
    total: tests.length,
    pass,
    fail,
    skip,
    passRate: pass + fail === 0 ? 0 : pass / (pass + fail),
    passRateWithSkips: tests.length === 0 ? 0 : pass / tests.length,
  };
}

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Non-2xx requests per Tempest caller ("Class:test_method" or
 * "Class:setUpClass") from tempest.log's INFO lines:
 * `Request (TokensV3Test:test_create_token): 404 GET http://... 0.003s`.
 */
export function failedRequestsByCaller(log: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of log.matchAll(/Request \(([^)]+)\): (\d{3}) (\w+) (\S+)/g)) {
    const [, caller, code, method, url] = m as unknown as [string, string, string, string, string];
    if (code.startsWith('2')) continue;
    out.set(caller, [...(out.get(caller) ?? []), `${code} ${method} ${url.replace(/^https?:\/\/[^/]+/, '')}`]);
  }
  return out;
}

/** Fills each result's `requests` from the log when the subunit details had none. */
export function attachRequests(tests: TestResult[], byCaller: Map<string, string[]>): void {
  for (const t of tests) {
    if (t.requests.length > 0) continue;
    const parts = t.id.split('.');
    const method = parts.at(-1) ?? '';
    const cls = parts.at(-2) ?? '';
    const found = byCaller.get(`${cls}:${t.source === 'class' ? 'setUpClass' : method}`) ?? [];
    t.requests = found.slice(-5);
  }
}
