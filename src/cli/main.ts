#!/usr/bin/env node
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { ConfigError } from '../lib/config/config.js';
import { redactUrl } from '../lib/db/database.js';
import { createLogger, type Logger } from '../lib/log.js';
import { registerAdminCommands } from './admin-commands.js';
import { startAllInOne } from './all-in-one.js';
import { addConfigOptions, configFrom } from './config-options.js';
import { SERVABLE, serveOne, startAgentNode } from './serve-one.js';

/** Closes cleanly on SIGTERM/SIGINT: in-flight requests finish, databases close, exit 0. */
function stopOnSignals(close: () => Promise<void>, progress: (msg: string) => void, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    progress(`${signal} received, stopping`);
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const program = new Command('kumo').description('Kumo: an OpenStack-compatible cloud').showHelpAfterError();

addConfigOptions(
  program
    .command('up')
    .description('run every service in one process (SQLite, in-process bus)')
    .option('--identity-port <port>', 'identity API port (default 5000)')
    .option('--image-port <port>', 'image API port (default 9292)')
    .option('--placement-port <port>', 'placement API port (default 8778)')
    .option('--compute-port <port>', 'compute API port (default 8774)')
    .option('--network-port <port>', 'network API port (default 9696)')
    .option('--console-port <port>', 'noVNC console proxy port (default 6080)')
    .option('--dashboard-port <port>', 'dashboard port (default 8000)')
    .option('--driver <driver>', 'compute driver of the agent: qemu (default) or fake')
    .option('--no-agent', 'run the API services only, no compute agent'),
).action(async (opts: Record<string, unknown>) => {
  const started = Date.now();
  const config = configFrom(opts);
  const progress = (msg: string): void => void process.stdout.write(`kumo: ${msg}\n`);
  // The terminal shows progress; the JSON logs (one line per request) go to a file in the data dir.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const logFile = join(config.dataDir, 'kumo.log');
  const logger = createLogger({ level: config.logLevel, destination: createWriteStream(logFile, { flags: 'a', mode: 0o600 }) });
  const cloud = await startAllInOne(config, logger, progress);
  progress(`ready in ${Date.now() - started} ms (logs: ${logFile})`);
  for (const e of cloud.endpoints) progress(`  ${e.service.padEnd(10)} ${e.url}`);
  progress(`noVNC console proxy: ${cloud.consoleUrl}`);
  if (cloud.dashboardUrl) progress(`dashboard: ${cloud.dashboardUrl}`);
  progress(`admin credentials: ${cloud.openrc} (source it) and ${cloud.cloudsYaml} (cloud "kumo")`);
  if (cloud.adminPasswordGenerated) progress('a new admin password was generated and written to those files');
  stopOnSignals(() => cloud.close(), progress, logger);
});

addConfigOptions(
  program
    .command('serve')
    .description('run one API service on its own (scale-out: shared database and bus; no bootstrap)')
    .argument('<service>', `the service to run: ${SERVABLE.join(' | ')}`)
    .option('--identity-port <port>', 'identity API port (default 5000)')
    .option('--image-port <port>', 'image API port (default 9292)')
    .option('--placement-port <port>', 'placement API port (default 8778)')
    .option('--compute-port <port>', 'compute API port (default 8774)')
    .option('--network-port <port>', 'network API port (default 9696)')
    .option('--dashboard-port <port>', 'dashboard port (default 8000)'),
).action(async (service: string, opts: Record<string, unknown>) => {
  const config = configFrom(opts);
  const progress = (msg: string): void => void process.stdout.write(`kumo: ${msg}\n`);
  const logger = createLogger({ level: config.logLevel, destination: process.stderr });
  const served = await serveOne(service, config, logger);
  await served.app.listen({ host: config.host, port: served.port });
  const port = (served.app.server.address() as { port: number }).port;
  progress(`${service} serving on http://${config.host}:${port}${served.path} (database ${redactUrl(served.databaseUrl)})`);
  stopOnSignals(() => served.close(), progress, logger);
});

addConfigOptions(
  program.command('agent').description('run the compute agent of this hypervisor (scale-out: shared bus, service_auth to reach the APIs)'),
).action(async (opts: Record<string, unknown>) => {
  const config = configFrom(opts);
  const progress = (msg: string): void => void process.stdout.write(`kumo: ${msg}\n`);
  const logger = createLogger({ level: config.logLevel, destination: process.stderr });
  const node = await startAgentNode(config, logger);
  progress(`agent of host ${config.agent.host} running with the ${config.agent.driver} driver (bus ${redactUrl(config.busUrl)})`);
  stopOnSignals(() => node.close(), progress, logger);
});

registerAdminCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as NodeJS.ErrnoException & { port?: number };
  if (e instanceof ConfigError) process.stderr.write(`kumo: configuration error: ${e.message}\n`);
  else if (err.code === 'EADDRINUSE') process.stderr.write(`kumo: port ${err.port ?? ''} is already in use (is kumo already running?)\n`);
  else process.stderr.write(`kumo: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
