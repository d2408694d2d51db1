import { optionEnvName } from './config.js';
import { OPTIONS } from './options.js';

/** docs/configuration.md, generated so every option is documented exactly once (in options.ts). */
export function renderConfigDocs(): string {
  const rows = OPTIONS.map((o) => {
    const def = o.default === '' ? '—' : `\`${String(o.default)}\``;
    const flag = o.flag ? `\`${o.flag}\`` : '';
    return `| \`${o.key}\` | ${o.type} | ${def} | \`${optionEnvName(o.key)}\` | ${flag} | ${o.doc.replaceAll('|', '\\|')} |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/lib/config/options.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Kumo reads one YAML (or JSON) file, then the environment, then command-line flags; each later',
    'source overrides the earlier one. Every value is validated at start-up and a bad one stops the',
    'process with a message naming the option and where it came from.',
    '',
    '- File: `kumo up --config /etc/kumo/kumo.yaml` or `KUMO_CONFIG=/etc/kumo/kumo.yaml`. Keys with a',
    '  dot nest one level: `identity.port: 5001` is written as `identity: {port: 5001}`.',
    '- Environment: `KUMO_<KEY>` with dots as underscores, upper case (`KUMO_IDENTITY_PORT=5001`).',
    '- Flags: the ones listed below.',
    '',
    '```yaml',
    '# /etc/kumo/kumo.yaml',
    'data_dir: /var/lib/kumo',
    'host: 0.0.0.0',
    'public_host: cloud.example.org',
    'identity:',
    '  token_expiration: 7200',
    '  lockout_failure_attempts: 5',
    '```',
    '',
    '| option | type | default | environment | flag | meaning |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
