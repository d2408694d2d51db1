/**
 * Tempest conformance run against a fresh Kumo cloud.
 *
 *   npm run conformance -- <identity|image> [--regex R] [--phase required|full] [--conf section.option=value]...
 *                          [--workers N] [--keep] [--no-build] [--docs|--no-docs]
 *
 * Without --regex, two phases, each on its own fresh cloud: the service's
 * interop required tests (2022.11 reconstructed load-list) and its whole API
 * suite (test/tempest/services.ts says which, and how Tempest is configured);
 * docs/conformance.md gets the results. With --regex or --phase, only that
 * selection runs and the docs are left alone (unless --docs). --conf
 * overrides a tempest.conf option, for trying a feature flag.
 * Every cloud is stopped by its pid with SIGTERM, also on failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpus, freemem, totalmem, tmpdir } from 'node:os';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHttpImage, type HttpImage } from '../test/tempest/http-image-server.js';
import { adminToken, startCloud, type Cloud } from '../test/tempest/kumo-cloud.js';
import { renderSection, writeSection, type PhaseReport, type ServiceReport } from '../test/tempest/report.js';
import { attachRequests, bareId, failedRequestsByCaller, mergeResults, pct, totals, type RawResult } from '../test/tempest/results.js';
import { SERVICES, type ServiceProfile } from '../test/tempest/services.js';
import {
  mergeSections,
  parseConfAssignments,
  renderTempestConf,
  type ConfSections,
  type IdentityExtension,
} from '../test/tempest/tempest-conf.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The Tempest targets live in the project's shared/ folder, beside the checkout. */
const CONFORMANCE =
  process.env.KUMO_CONFORMANCE_DIR ??
  [join(REPO, '..', 'shared', 'conformance'), '/work/shared/conformance'].find((d) => existsSync(d)) ??
  join(REPO, '..', 'shared', 'conformance');
const LOAD_LIST = join(CONFORMANCE, '2022.11-reconstructed/required_platform_tests.tempest33.load-list');
const SYSTEM_PYTHON = '/usr/bin/python3';
const PHASE_TIMEOUT_MS = 30 * 60_000;

type PhaseKey = 'required' | 'full' | 'custom';

interface Args {
  service: string;
  regex?: string;
  phase?: 'required' | 'full';
  conf: string[];
  workers: number;
  keep: boolean;
  build: boolean;
  docs?: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { service: '', conf: [], workers: 2, keep: false, build: true };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i] as string;
    const next = (): string => {
      const n = argv[++i];
      if (n === undefined) throw new Error(`${v} needs a value`);
      return n;
    };
    if (v === '--regex') a.regex = next();
    else if (v === '--phase') {
      const p = next();
      if (p !== 'required' && p !== 'full') throw new Error(`--phase must be required or full, got "${p}"`);
      a.phase = p;
    } else if (v === '--conf') a.conf.push(next());
    else if (v === '--workers' || v === '--concurrency') a.workers = Number(next());
    else if (v === '--keep') a.keep = true;
    else if (v === '--no-build') a.build = false;
    else if (v === '--docs') a.docs = true;
    else if (v === '--no-docs') a.docs = false;
    else if (v === '-h' || v === '--help') {
      process.stdout.write(
        `usage: npm run conformance -- <${Object.keys(SERVICES).join('|')}> [--regex R] [--phase required|full] [--conf section.option=value]... [--workers N] [--keep] [--no-build] [--docs|--no-docs]\n`,
      );
      process.exit(0);
    } else if (!v.startsWith('-') && !a.service) a.service = v;
    else throw new Error(`unknown argument ${v}`);
  }
  if (!SERVICES[a.service]) throw new Error(`service must be one of ${Object.keys(SERVICES).join(', ')}, got "${a.service}"`);
  if (a.regex && a.phase) throw new Error('--regex and --phase do not go together');
  parseConfAssignments(a.conf);
  if (!Number.isInteger(a.workers) || a.workers < 1) throw new Error('--workers must be a positive integer');
  return a;
}

const say = (msg: string): void => void process.stdout.write(`conformance: ${msg}\n`);

function run(cmd: string, args: string[], cwd: string, input?: Buffer): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, input, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Builds dist/ when any source file is newer than the CLI entry point. */
function buildIfNeededUnlocked(): void {
  const entry = join(REPO, 'dist/cli/main.js');
  const newest = Number(run('bash', ['-c', "find src -name '*.ts' -printf '%T@\\n' | sort -n | tail -1"], REPO).stdout.trim() || 0) * 1000;
  if (existsSync(entry) && statSync(entry).mtimeMs >= newest) return say('dist/ is up to date');
  say('building (npm run build)');
  const r = run('npm', ['run', 'build'], REPO);
  if (r.status !== 0) {
    if (!existsSync(entry)) throw new Error(`npm run build failed and dist/ is missing:\n${r.stdout}${r.stderr}`);
    // tsc emits despite type errors; other engineers' in-flight edits must not stop a measurement.
    const errors = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('error TS'));
    say(`WARNING: npm run build reported ${errors.length} type errors; dist/ was emitted anyway. First: ${errors[0] ?? '?'}`);
  }
}

/**
 * One build at a time per checkout: the acceptance tests of several services
 * run this script concurrently, and a cloud must not start from a dist/ that
 * another run's tsc is halfway through rewriting.
 */
async function buildIfNeeded(): Promise<void> {
  const lock = join(tmpdir(), `kumo-conformance-build-${createHash('sha256').update(REPO).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock older than any build is left over from a killed run.
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another conformance run has held ${lock} for 10 minutes`, { cause: e });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    buildIfNeededUnlocked();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Which identity extensions Tempest gates on are served: read-only probes with an admin token. */
async function probeExtensions(cloud: Cloud): Promise<IdentityExtension[]> {
  const { token, userId } = await adminToken(cloud);
  const get = async (path: string): Promise<number> =>
    (await fetch(`${cloud.identityUri}${path}`, { headers: { 'x-auth-token': token } })).status;
  const found: IdentityExtension[] = [];
  if ((await get(`/users/${userId}/credentials/OS-EC2`)) === 200) found.push('OS-EC2');
  if ((await get(`/OS-INHERIT/domains/default/users/${userId}/roles/inherited_to_projects`)) === 200) found.push('OS-INHERIT');
  return found;
}

interface Phase {
  key: PhaseKey;
  title: string;
  select: { loadList: string[] } | { regex: string };
}

interface PhaseOutcome {
  report: PhaseReport;
  workspace: string;
  /** How the cloud and Tempest were set up (probed), for the docs. */
  notes: string[];
}

/** What every phase shares: the service's profile, the local http image, --conf overrides. */
interface RunSetup {
  profile: ServiceProfile;
  httpImage?: HttpImage;
  conf: ConfSections;
}

/** Children to stop if we are interrupted: pid → how. */
const live = new Map<number, () => void>();

async function runPhase(phase: Phase, args: Args, root: string, setup: RunSetup): Promise<PhaseOutcome> {
  const { profile, httpImage } = setup;
  const ws = join(root, `tempest-${phase.key}`);
  const dataDir = join(root, `kumo-${phase.key}`);
  mkdirSync(dataDir, { recursive: true });
  say(`[${phase.key}] starting a fresh cloud in ${dataDir}`);
  const cloud = await startCloud({
    repoDir: REPO,
    dataDir,
    logFile: join(root, `kumo-${phase.key}.log`),
    env: profile.cloudEnv({ httpImage }),
    services: profile.catalog,
  });
  live.set(cloud.pid, () => void cloud.stop());
  try {
    say(
      `[${phase.key}] cloud pid ${cloud.pid}: ${Object.entries(cloud.endpoints)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    const extensions = await probeExtensions(cloud);
    say(`[${phase.key}] identity extensions served: ${extensions.join(', ') || 'none of OS-EC2, OS-INHERIT'}`);
    const { token } = await adminToken(cloud);
    const configured = await profile.configure({ cloud, token, identityExtensions: extensions, httpImage });
    for (const n of configured.notes) say(`[${phase.key}] ${n}`);
    if (args.conf.length > 0) say(`[${phase.key}] --conf overrides: ${args.conf.join(' ')}`);

    const init = run('tempest', ['init', '--workspace-path', join(root, 'workspace.yaml'), ws], root);
    if (init.status !== 0) throw new Error(`tempest init failed: ${init.stderr}`);
    // Its logging.conf makes every worker truncate tempest.log ('w+'); oslo.log appends instead.
    rmSync(join(ws, 'etc/logging.conf'), { force: true });
    writeFileSync(
      join(ws, 'etc/tempest.conf'),
      renderTempestConf({
        workspace: ws,
        identityUri: cloud.identityUri,
        region: cloud.region,
        admin: cloud.admin,
        identityExtensions: extensions,
        securityCompliance: profile.securityCompliance,
        overrides: mergeSections(configured.overrides, setup.conf),
      }),
    );

    let selectArgs: string[];
    let expected: string[];
    if ('loadList' in phase.select) {
      const file = join(ws, 'load-list.txt');
      writeFileSync(file, `${phase.select.loadList.join('\n')}\n`);
      selectArgs = ['--load-list', file];
      expected = phase.select.loadList;
    } else {
      selectArgs = ['--regex', phase.select.regex];
      const listed = run('tempest', ['run', '--list-tests', ...selectArgs], ws);
      if (listed.status !== 0) throw new Error(`tempest run --list-tests failed: ${listed.stderr}`);
      expected = listed.stdout.split('\n').filter((l) => l.startsWith('tempest.'));
    }
    const shown =
      'loadList' in phase.select
        ? ['--load-list', `<(grep '^${(profile.requiredPrefix ?? '').replaceAll('.', '\\.')}' ${LOAD_LIST})`]
        : ['--regex', `'${phase.select.regex}'`];
    const command = `tempest run --concurrency ${args.workers} ${shown.join(' ')}`;
    say(`[${phase.key}] ${expected.length} tests: ${command} (in ${ws})`);

    const started = Date.now();
    const out = createWriteStream(join(ws, 'tempest-run.out'));
    // Own process group, so an interruption can stop tempest and its stestr workers by this pid.
    const child = spawn('tempest', ['run', '--concurrency', String(args.workers), ...selectArgs], {
      cwd: ws,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` },
    });
    if (child.pid === undefined) throw new Error('could not start tempest');
    const tpid = child.pid;
    live.set(tpid, () => process.kill(-tpid, 'SIGTERM'));
    let done = 0;
    child.stdout.on('data', (b: Buffer) => {
      out.write(b);
      for (const line of b.toString().split('\n')) {
        if (/\.\.\. (ok|FAILED|SKIPPED)/.test(line)) done++;
      }
    });
    child.stderr.pipe(out);
    const ticker = setInterval(() => say(`[${phase.key}] ${done} results after ${Math.round((Date.now() - started) / 1000)} s`), 30_000);
    const timeout = setTimeout(() => {
      say(`[${phase.key}] timed out after ${PHASE_TIMEOUT_MS / 60_000} min; stopping tempest`);
      process.kill(-tpid, 'SIGTERM');
    }, PHASE_TIMEOUT_MS);
    await new Promise<void>((res) => child.on('close', () => res()));
    clearInterval(ticker);
    clearTimeout(timeout);
    live.delete(tpid);
    out.end();
    const seconds = (Date.now() - started) / 1000;

    const subunit = spawnSync('stestr', ['last', '--subunit'], { cwd: ws, maxBuffer: 512 * 1024 * 1024 });
    const decoded = run(SYSTEM_PYTHON, [join(REPO, 'test/tempest/subunit_to_json.py')], ws, subunit.stdout);
    if (decoded.status !== 0) throw new Error(`decoding the subunit stream failed: ${decoded.stderr}`);
    const raw = decoded.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as RawResult);
    const merged = mergeResults(expected, raw);
    const logFile = join(ws, 'tempest.log');
    if (existsSync(logFile)) attachRequests(merged.tests, failedRequestsByCaller(readFileSync(logFile, 'utf8')));
    writeFileSync(join(ws, 'results.json'), JSON.stringify(merged, null, 2));
    const t = totals(merged.tests);
    say(
      `[${phase.key}] ${t.total} tests in ${Math.round(seconds)} s: ${t.pass} passed, ${t.fail} failed, ${t.skip} skipped (pass rate ${pct(t.passRate)} excl. skips, ${pct(t.passRateWithSkips)} incl.)`,
    );
    const notes = args.conf.length > 0 ? [...configured.notes, `tempest.conf overrides: \`${args.conf.join(' ')}\``] : configured.notes;
    return { report: { title: phase.title, command, tests: merged.tests, fixtures: merged.fixtures, seconds }, workspace: ws, notes };
  } finally {
    await cloud.stop();
    live.delete(cloud.pid);
    say(`[${phase.key}] cloud stopped`);
  }
}

/**
 * The service's lines of the interop load-list (full Tempest IDs, as
 * --load-list needs them), checked against the plain required_<service>.txt.
 */
function requiredTests(profile: ServiceProfile & { requiredPrefix: string }): string[] {
  const ids = readFileSync(LOAD_LIST, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(profile.requiredPrefix));
  const plain = join(dirname(LOAD_LIST), `required_${profile.name}.txt`);
  if (existsSync(plain)) {
    const want = new Set(
      readFileSync(plain, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('tempest.'))
        .map(bareId),
    );
    const got = new Set(ids.map(bareId));
    const differ = [...want].filter((id) => !got.has(id)).concat([...got].filter((id) => !want.has(id)));
    if (differ.length > 0) say(`WARNING: the load-list and ${plain} disagree on ${differ.length} tests, e.g. ${differ[0]}`);
  }
  if (ids.length === 0) throw new Error(`no ${profile.requiredPrefix}* tests in ${LOAD_LIST}`);
  return ids;
}

function machine(): string {
  const c = cpus();
  const gib = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GiB`;
  return `${c.length} CPUs (${c[0]?.model.trim() ?? 'unknown'}), ${gib(totalmem())} memory (${gib(freemem())} free at start), Node ${process.version}`;
}

/**
 * Re-runs this script inside a network namespace of its own (GUIDE §5: the
 * guests, bridges and rules of the run stay in it, and Tempest reaches the
 * floating IPs there), then ends what is left inside by pid and deletes the
 * namespace and the agent's (named with it as prefix). Returns the exit code.
 */
async function runInNamespace(): Promise<number> {
  const ns = `kconf-${randomBytes(3).toString('hex')}`;
  const must = (argv: string[]): void => {
    const r = run(argv[0] as string, argv.slice(1), REPO);
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  };
  must(['ip', 'netns', 'add', ns]);
  say(`running inside network namespace ${ns}`);
  try {
    must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, KUMO_CONFORMANCE_NETNS: ns },
    });
    if (child.pid) live.set(child.pid, () => child.kill('SIGTERM'));
    return await new Promise<number>((done) => child.once('exit', (code) => done(code ?? 1)));
  } finally {
    const ours = run('ip', ['netns', 'list'], REPO)
      .stdout.split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n === ns || n.startsWith(`${ns}-`));
    for (const n of ours) {
      for (const pid of run('ip', ['netns', 'pids', n], REPO).stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      run('ip', ['netns', 'delete', n], REPO);
    }
    say(`namespaces deleted: ${ours.join(', ')}`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const invocation = `npm run conformance -- ${process.argv.slice(2).join(' ')}`;
  if (args.build) await buildIfNeeded();
  const chosen = SERVICES[args.service];
  if (chosen?.netns && !process.env.KUMO_CONFORMANCE_NETNS) {
    await chosen.prepare?.();
    process.exitCode = await runInNamespace();
    return;
  }
  const root = mkdtempSync(join(tmpdir(), `kumo-conformance-${args.service}-`));
  // dnsmasq (as nobody) reads its files under the data dirs: the path must be traversable.
  chmodSync(root, 0o711);
  say(`work dir ${root}`);
  const stopAll = (sig: NodeJS.Signals): void => {
    say(`${sig}: stopping children`);
    for (const [pid, stop] of live) {
      try {
        stop();
      } catch {
        say(`could not stop ${pid}`);
      }
    }
    setTimeout(() => process.exit(130), 3000);
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));

  const profile = SERVICES[args.service] as ServiceProfile;
  const { requiredPrefix } = profile;
  const all: Phase[] = [
    ...(requiredPrefix !== null
      ? [{ key: 'required' as const, title: profile.requiredTitle, select: { loadList: requiredTests({ ...profile, requiredPrefix }) } }]
      : []),
    { key: 'full', title: profile.fullTitle, select: { regex: profile.fullRegex } },
  ];
  const phases: Phase[] = args.regex
    ? [{ key: 'custom', title: `Selection ${args.regex}`, select: { regex: args.regex } }]
    : all.filter((p) => !args.phase || p.key === args.phase);

  const httpImage = profile.httpImage ? await startHttpImage() : undefined;
  if (httpImage) {
    // Not a child process: closing it is what an interruption does to it (the key is only a map slot).
    live.set(0, () => void httpImage.close());
    say(`http_image for web-download: ${httpImage.url} (${httpImage.size} bytes, served by this process)`);
  }
  const outcomes: Partial<Record<PhaseKey, PhaseOutcome>> = {};
  try {
    const setup: RunSetup = { profile, httpImage, conf: parseConfAssignments(args.conf) };
    for (const p of phases) outcomes[p.key] = await runPhase(p, args, root, setup);
  } finally {
    if (httpImage) {
      say(`http_image was requested ${httpImage.hits()} times`);
      await httpImage.close();
      live.delete(0);
    }
  }

  const writeDocs = args.docs ?? !(args.regex || args.phase);
  if (writeDocs) {
    const report: ServiceReport = {
      service: args.service,
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      machine: machine(),
      tempestVersion: run('tempest', ['--version'], root).stdout.trim() || 'unknown',
      invocation,
      confNotes: (outcomes.full ?? outcomes.required ?? outcomes.custom)?.notes ?? [],
      required: outcomes.required?.report,
      full: outcomes.full?.report ?? outcomes.custom?.report,
    };
    mkdirSync(join(REPO, 'docs'), { recursive: true });
    writeSection(join(REPO, 'docs/conformance.md'), args.service, renderSection(report));
    say('docs/conformance.md updated');
  }

  for (const o of Object.values(outcomes)) {
    const failing = o.report.tests.filter((t) => t.status === 'fail');
    if (failing.length > 0) {
      say(`${o.report.title}: failing tests`);
      for (const t of failing) {
        const req = t.requests.length > 0 ? `\n       last non-2xx: ${t.requests[t.requests.length - 1]}` : '';
        process.stdout.write(
          `  FAIL ${bareId(t.id)}${t.source === 'class' ? ' (setUpClass)' : ''}\n       ${t.reason.slice(0, 300)}${req}\n`,
        );
      }
    }
  }
  if (args.keep || Object.values(outcomes).some((o) => o.report.tests.some((t) => t.status === 'fail'))) {
    // Kept for the request/response log (tempest.log) and the cloud logs; data dirs are not needed.
    for (const k of Object.keys(outcomes)) rmSync(join(root, `kumo-${k}`), { recursive: true, force: true });
    say(`workspaces kept in ${root} (tempest-*/tempest.log has every request; kumo-*.log the cloud logs)`);
  } else {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`conformance: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
