import type { Command } from 'commander';
import { Option } from 'commander';
import { loadConfig, type KumoConfig } from '../lib/config/config.js';

/** Options every command shares: the config file plus flags that override it. */
export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'configuration file (YAML); also KUMO_CONFIG')
    .option('--data-dir <dir>', 'data directory (default /var/lib/kumo as root)')
    .option('--host <address>', 'address to bind the APIs to (default 127.0.0.1)')
    .option('--public-host <name>', 'host name used in catalog URLs')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']));
}

export function configFrom(opts: Record<string, unknown>): KumoConfig {
  const flags: Record<string, unknown> = {};
  if (opts.dataDir !== undefined) flags.data_dir = opts.dataDir;
  if (opts.host !== undefined) flags.host = opts.host;
  if (opts.publicHost !== undefined) flags.public_host = opts.publicHost;
  if (opts.logLevel !== undefined) flags.log_level = opts.logLevel;
  if (opts.identityPort !== undefined) flags['identity.port'] = opts.identityPort;
  if (opts.imagePort !== undefined) flags['image.port'] = opts.imagePort;
  if (opts.placementPort !== undefined) flags['placement.port'] = opts.placementPort;
  if (opts.computePort !== undefined) flags['compute.port'] = opts.computePort;
  if (opts.networkPort !== undefined) flags['network.port'] = opts.networkPort;
  if (opts.dashboardPort !== undefined) flags['dashboard.port'] = opts.dashboardPort;
  if (opts.consolePort !== undefined) flags['compute.console_proxy_port'] = opts.consolePort;
  if (opts.driver !== undefined) flags['agent.driver'] = opts.driver;
  if (opts.agent === false) flags['agent.enabled'] = false;
  return loadConfig({ file: opts.config as string | undefined, flags });
}
