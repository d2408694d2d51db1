import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig, optionEnvName } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'kumo-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
/** Writes a config file and returns its path. */
const file = (text: string): string => {
  const p = join(dir, `kumo-${n++}.yaml`);
  writeFileSync(p, text);
  return p;
};
const configError = (pattern: RegExp) => (e: unknown) => e instanceof ConfigError && pattern.test(e.message);

describe('loadConfig', () => {
  test('defaults', () => {
    const c = loadConfig({ env: {} });
    const dataDir = process.getuid?.() === 0 ? '/var/lib/kumo' : join(homedir(), '.local', 'share', 'kumo');
    assert.equal(c.dataDir, dataDir);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.publicHost, '127.0.0.1');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.busUrl, 'memory://');
    assert.equal(c.region, 'RegionOne');
    assert.equal(c.databaseUrl, '');
    assert.equal(c.identity.port, 5000);
    assert.equal(c.identity.tokenExpiration, 3600);
    assert.equal(c.identity.changePasswordUponFirstUse, false);
    assert.equal(c.identity.keyDir, join(dataDir, 'fernet-keys'));
    assert.equal(c.identity.databaseUrl, `sqlite:${join(dataDir, 'identity.db')}`);
  });

  test('file < environment < flags, each per option', () => {
    const path = file(
      ['host: 10.0.0.1', 'region: FileRegion', 'log_level: warn', 'identity:', '  port: 6000', '  token_expiration: 7200', ''].join('\n'),
    );
    const fileOnly = loadConfig({ file: path, env: {} });
    assert.equal(fileOnly.host, '10.0.0.1');
    assert.equal(fileOnly.identity.port, 6000);
    assert.equal(fileOnly.identity.tokenExpiration, 7200);

    const c = loadConfig({
      file: path,
      env: { KUMO_HOST: '10.0.0.2', KUMO_IDENTITY_PORT: '7000', KUMO_LOG_LEVEL: '' },
      flags: { host: '10.0.0.3' },
    });
    assert.equal(c.host, '10.0.0.3', 'flag beats environment and file');
    assert.equal(c.identity.port, 7000, 'environment beats file');
    assert.equal(c.region, 'FileRegion', 'file beats default');
    assert.equal(c.logLevel, 'warn', 'an empty environment variable is unset');
    assert.equal(c.identity.tokenExpiration, 7200);
    // Flags arrive as strings from the command line.
    assert.equal(loadConfig({ file: path, env: { KUMO_IDENTITY_PORT: '7000' }, flags: { 'identity.port': '8000' } }).identity.port, 8000);
  });

  test('KUMO_CONFIG names the file; an explicit file wins', () => {
    const a = file('region: FromEnvFile\n');
    const b = file('region: FromArgFile\n');
    assert.equal(loadConfig({ env: { KUMO_CONFIG: a } }).region, 'FromEnvFile');
    assert.equal(loadConfig({ file: b, env: { KUMO_CONFIG: a } }).region, 'FromArgFile');
    assert.equal(loadConfig({ file: file(''), env: {} }).region, 'RegionOne', 'an empty file is allowed');
  });

  test('derived values follow the data dir and database_url', () => {
    const c = loadConfig({ env: { KUMO_DATA_DIR: '/srv/kumo', KUMO_HOST: '0.0.0.0' } });
    assert.equal(c.identity.keyDir, '/srv/kumo/fernet-keys');
    assert.equal(c.identity.databaseUrl, 'sqlite:/srv/kumo/identity.db');
    assert.equal(c.publicHost, hostname());
    const shared = loadConfig({ env: { KUMO_DATABASE_URL: 'mysql://kumo@db/kumo' } });
    assert.equal(shared.identity.databaseUrl, 'mysql://kumo@db/kumo');
    const own = loadConfig({ env: { KUMO_DATABASE_URL: 'mysql://kumo@db/kumo', KUMO_IDENTITY_DATABASE_URL: 'postgres://p@db/id' } });
    assert.equal(own.identity.databaseUrl, 'postgres://p@db/id');
    assert.equal(optionEnvName('identity.database_url'), 'KUMO_IDENTITY_DATABASE_URL');
  });

  test('booleans accept the usual spellings', () => {
    for (const [raw, value] of [
      ['yes', true],
      ['1', true],
      ['ON', true],
      ['false', false],
      ['0', false],
      ['no', false],
    ] as const) {
      assert.equal(
        loadConfig({ env: { KUMO_IDENTITY_CHANGE_PASSWORD_UPON_FIRST_USE: raw } }).identity.changePasswordUponFirstUse,
        value,
        raw,
      );
    }
    assert.equal(
      loadConfig({ file: file('identity:\n  change_password_upon_first_use: true\n'), env: {} }).identity.changePasswordUponFirstUse,
      true,
    );
    assert.throws(
      () => loadConfig({ env: { KUMO_IDENTITY_CHANGE_PASSWORD_UPON_FIRST_USE: 'maybe' } }),
      configError(/must be true or false/),
    );
  });

  test('an unknown option in the file is an error naming it', () => {
    assert.throws(
      () => loadConfig({ file: file('identity:\n  bogus: 1\n'), env: {} }),
      configError(/unknown option\(s\) in .*: identity\.bogus/),
    );
    assert.throws(() => loadConfig({ file: file('hots: 10.0.0.1\n'), env: {} }), configError(/unknown option\(s\).*: hots/));
  });

  test('a bad integer is an error naming the option and where it came from', () => {
    assert.throws(
      () => loadConfig({ env: { KUMO_IDENTITY_PORT: 'abc' } }),
      configError(/identity\.port \(from KUMO_IDENTITY_PORT\) must be an integer, not 'abc'/),
    );
    assert.throws(() => loadConfig({ env: { KUMO_IDENTITY_PORT: '5000.5' } }), configError(/must be an integer/));
    assert.throws(() => loadConfig({ env: { KUMO_IDENTITY_PORT: '70000' } }), configError(/identity\.port .* must be at most 65535/));
    assert.throws(() => loadConfig({ env: { KUMO_IDENTITY_TOKEN_EXPIRATION: '10' } }), configError(/must be at least 60/));
    assert.throws(
      () => loadConfig({ file: file('identity:\n  port: [1]\n'), env: {} }),
      configError(/identity\.port \(from .*kumo-\d+\.yaml\) must be an integer/),
    );
    assert.throws(() => loadConfig({ env: {}, flags: { 'identity.port': 'x' } }), configError(/must be an integer/));
  });

  test('a bad bus_url, log level, regex or file is an error', () => {
    assert.throws(
      () => loadConfig({ env: { KUMO_BUS_URL: 'redis://localhost' } }),
      configError(/bus_url must start with memory:\/\/ or amqp:\/\//),
    );
    assert.equal(loadConfig({ env: { KUMO_BUS_URL: 'amqps://u:p@rabbit:5671' } }).busUrl, 'amqps://u:p@rabbit:5671');
    assert.throws(() => loadConfig({ env: { KUMO_LOG_LEVEL: 'loud' } }), configError(/log_level .* must be one of/));
    assert.throws(
      () => loadConfig({ env: { KUMO_IDENTITY_PASSWORD_REGEX: '([a-z' } }),
      configError(/password_regex is not a valid regular expression/),
    );
    assert.throws(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} }), configError(/cannot read config file/));
    assert.throws(() => loadConfig({ file: file('- a\n- b\n'), env: {} }), configError(/must hold a mapping/));
  });
});
