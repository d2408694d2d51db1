/**
 * docs/conformance.md: one section per service between markers, so a run for
 * one service replaces only its own section.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pct, totals, type RawResult, type TestResult } from './results.js';

export interface PhaseReport {
  title: string;
  command: string;
  tests: TestResult[];
  fixtures: RawResult[];
  seconds: number;
}

export interface ServiceReport {
  service: string;
  date: string;
  machine: string;
  tempestVersion: string;
  invocation: string;
  confNotes: string[];
  required?: PhaseReport;
  full?: PhaseReport;
}

const HEADER = [
  '# Conformance',
  '',
  'Results of Tempest (Debian `tempest` 33.0.0) against a fresh Kumo cloud, produced by',
  '`npm run conformance -- <service>` (scripts/conformance.ts). Each service has its own section;',
  'a run rewrites only its section. A skip is not a pass.',
  '',
].join('\n');

/** One line, table-safe. */
function oneLine(s: string, max = 220): string {
  const flat = s.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function shortId(id: string): string {
  return id.replace(/^tempest\.api\.[a-z_]+\./, '');
}

function reasonOf(t: TestResult): string {
  const via = t.source === 'class' ? '(setUpClass) ' : '';
  const req = t.requests.length > 0 ? ` — last non-2xx: \`${t.requests[t.requests.length - 1]}\`` : '';
  return `${via}${oneLine(t.reason || 'no reason recorded')}${req}`;
}

function totalsLine(tests: TestResult[]): string {
  const t = totals(tests);
  return `${t.total} tests: **${t.pass} passed**, ${t.fail} failed, ${t.skip} skipped — pass rate ${pct(t.passRate)} excluding skips, ${pct(t.passRateWithSkips)} counting skips as non-passes.`;
}

export function renderSection(r: ServiceReport): string {
  const name = r.service[0]?.toUpperCase() + r.service.slice(1);
  const out: string[] = [`## ${name}`, ''];
  out.push(`- Date: ${r.date}`, `- Machine: ${r.machine}`, `- Tempest: ${r.tempestVersion}`, `- Command: \`${r.invocation}\``);
  for (const n of r.confNotes) out.push(`- ${n}`);
  out.push('');
  if (r.required) {
    const p = r.required;
    out.push(`### ${p.title}`, '', `\`${p.command}\` (${Math.round(p.seconds)} s)`, '', totalsLine(p.tests), '');
    out.push('| Test | Result | Reason |', '| --- | --- | --- |');
    for (const t of p.tests) out.push(`| \`${shortId(t.id)}\` | ${t.status.toUpperCase()} | ${t.status === 'pass' ? '' : reasonOf(t)} |`);
    out.push('');
  }
  if (r.full) {
    const p = r.full;
    out.push(`### ${p.title}`, '', `\`${p.command}\` (${Math.round(p.seconds)} s)`, '', totalsLine(p.tests), '');
    const byModule = new Map<string, TestResult[]>();
    for (const t of p.tests) {
      const mod = shortId(t.id).split('.').slice(0, -2).join('.');
      byModule.set(mod, [...(byModule.get(mod) ?? []), t]);
    }
    out.push('| Module | Pass | Fail | Skip |', '| --- | --- | --- | --- |');
    for (const [mod, ts] of [...byModule.entries()].sort()) {
      const t = totals(ts);
      out.push(`| \`${mod}\` | ${t.pass} | ${t.fail} | ${t.skip} |`);
    }
    out.push('');
    const failing = p.tests.filter((t) => t.status === 'fail').sort((a, b) => a.id.localeCompare(b.id));
    out.push(`#### Failing (${failing.length})`, '');
    for (const t of failing) out.push(`- \`${shortId(t.id)}\`: ${reasonOf(t)}`);
    if (failing.length === 0) out.push('None.');
    const fx = p.fixtures.filter((f) => !f.id.startsWith('setUpClass'));
    if (fx.length > 0) {
      out.push('', 'Class fixture problems (not counted as tests):', '');
      for (const f of fx) out.push(`- \`${f.id}\`: ${f.status} — ${oneLine(f.reason)}`);
    }
    out.push('');
    const skipped = p.tests.filter((t) => t.status === 'skip');
    out.push(`#### Skipped (${skipped.length})`, '');
    const reasons = new Map<string, number>();
    for (const t of skipped) reasons.set(oneLine(t.reason || 'no reason'), (reasons.get(oneLine(t.reason || 'no reason')) ?? 0) + 1);
    for (const [why, n] of [...reasons.entries()].sort((a, b) => b[1] - a[1])) out.push(`- ${n} × ${why}`);
    if (skipped.length === 0) out.push('None.');
    out.push('');
  }
  return out.join('\n');
}

/** Replaces (or appends) the service's section in the file. */
export function writeSection(file: string, service: string, section: string): void {
  const start = `<!-- conformance:${service}:start -->`;
  const end = `<!-- conformance:${service}:end -->`;
  const block = `${start}\n${section.trimEnd()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}
