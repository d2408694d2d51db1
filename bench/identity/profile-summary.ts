/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`) of the server: where
 * main-thread time goes, by package/file and by function, optionally only in
 * the window of one benchmark phase (from run.ts --json).
 *
 *   node --import tsx bench/identity/profile-summary.ts PROFILE.cpuprofile
 *     [--report report.json --phase validate] [--top 25]
 *
 * Note: argon2 runs on libuv pool threads, which a --cpu-prof profile does not see.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { report: { type: 'string' }, phase: { type: 'string' }, top: { type: 'string', default: '25' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary.ts PROFILE.cpuprofile [--report r.json --phase name] [--top N]');
const top = Number(args.top);
const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

let window: [number, number] = [-Infinity, Infinity];
if (args.report && args.phase) {
  const report = JSON.parse(readFileSync(args.report, 'utf8')) as { phases: { name: string; monotonicUs: [number, number] }[] };
  const phase = report.phases.find((p) => p.name.includes(args.phase!));
  if (!phase) throw new Error(`no phase matching '${args.phase}' in ${args.report}`);
  window = phase.monotonicUs;
  console.log(`phase: ${phase.name}`);
}

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** A readable place: package name for dependencies, path under dist/ for our code. */
function area(cf: CallFrame): string {
  const u = cf.url;
  if (!u) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return nm[1]!;
  const d = /\/dist\/(.+)$/.exec(u);
  if (d) return `kumo:${d[1]}`;
  if (u.startsWith('node:')) return 'node:internal';
  return u;
}
const fnKey = (cf: CallFrame): string => `${cf.functionName || '(anonymous)'} ${area(cf)}:${cf.lineNumber + 1}`;

const self = new Map<string, number>();
const selfArea = new Map<string, number>();
const incl = new Map<string, number>();
let total = 0;
let t = prof.startTime;
for (let i = 0; i < prof.samples.length; i++) {
  t += prof.timeDeltas[i] ?? 0;
  if (t < window[0] || t > window[1]) continue;
  // The time until the next sample is what this sample stands for.
  const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000;
  const node = byId.get(prof.samples[i]!);
  if (!node) continue;
  total += dt;
  self.set(fnKey(node.callFrame), (self.get(fnKey(node.callFrame)) ?? 0) + dt);
  selfArea.set(area(node.callFrame), (selfArea.get(area(node.callFrame)) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const k = fnKey(byId.get(id)!.callFrame);
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + dt);
  }
}

const pct = (ms: number): string => `${((ms / total) * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>, filter: (k: string) => boolean = () => true): void => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m]
    .filter(([k2]) => filter(k2))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    console.log(`${pct(v)} ${v.toFixed(0).padStart(7)} ms  ${k}`);
  }
};
console.log(`sampled main-thread time: ${total.toFixed(0)} ms`);
print('self time by package / file', selfArea);
print('self time by function', self);
print('inclusive time, kumo code', incl, (k) => k.includes(' kumo:'));
print('inclusive time, dependencies', incl, (k) => !k.includes(' kumo:') && !k.startsWith('('));
