import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICES } from './services.js';
import { mergeSections, parseConfAssignments, renderTempestConf, type TempestConfOptions } from './tempest-conf.js';

const base: TempestConfOptions = {
  workspace: '/tmp/ws',
  identityUri: 'http://127.0.0.1:5000/v3',
  region: 'RegionOne',
  admin: { username: 'admin', password: 'pw', projectName: 'admin', domainName: 'Default' },
  identityExtensions: ['OS-EC2'],
};

/** The option lines of one section of a rendered tempest.conf. */
function section(conf: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  const start = conf.indexOf(`[${name}]\n`);
  if (start < 0) return out;
  for (const line of conf.slice(start + name.length + 3).split('\n')) {
    if (line.startsWith('[')) break;
    const m = /^(\w+) = (.*)$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

describe('tempest.conf rendering', () => {
  it('turns every service off when only identity is measured', () => {
    const conf = renderTempestConf(base);
    assert.equal(section(conf, 'service_available').glance, 'false');
    assert.equal(section(conf, 'identity-feature-enabled').api_extensions, 'OS-EC2');
    assert.equal(conf.includes('[image]'), false);
  });

  it('merges service overrides option by option and appends new sections', () => {
    const conf = renderTempestConf({
      ...base,
      overrides: mergeSections(
        { service_available: { glance: true }, image: { http_image: 'http://127.0.0.1:1/x.img', build_timeout: 60 } },
        parseConfAssignments(['image.build_timeout=30', 'image-feature-enabled.manage_locations=true']),
      ),
    });
    const avail = section(conf, 'service_available');
    assert.equal(avail.glance, 'true');
    assert.equal(avail.nova, 'false', 'options the override does not name keep their base value');
    assert.deepEqual(section(conf, 'image'), { http_image: 'http://127.0.0.1:1/x.img', build_timeout: '30' });
    assert.deepEqual(section(conf, 'image-feature-enabled'), { manage_locations: 'true' });
  });

  it('rejects a --conf item that is not section.option=value', () => {
    assert.throws(() => parseConfAssignments(['glance=true']), /section\.option=value/);
  });
});

describe('service profiles', () => {
  it('select the interop lines and the whole v2/v3 suite of their service', () => {
    assert.equal(SERVICES.image?.requiredPrefix, 'tempest.api.image.');
    assert.ok(new RegExp(SERVICES.image?.fullRegex ?? '$^').test('tempest.api.image.v2.admin.test_images.X.test_y'));
    assert.ok(!new RegExp(SERVICES.image?.fullRegex ?? '$^').test('tempest.api.image.v1.test_images.X.test_y'));
    assert.ok(new RegExp(SERVICES.identity?.fullRegex ?? '$^').test('tempest.api.identity.admin.v3.test_users.X.test_y'));
  });

  it('let web-download reach the run’s own file server and keep Glance’s default ports', () => {
    const env = SERVICES.image?.cloudEnv({
      httpImage: { url: 'http://127.0.0.1:4321/a', port: 4321, size: 1, hits: () => 0, close: async () => {} },
    });
    assert.equal(env?.KUMO_IMAGE_WEB_DOWNLOAD_ALLOWED_PORTS, '80,443,4321');
    // The features Tempest exercises beyond the defaults are switched on for the run.
    assert.equal(env?.KUMO_IMAGE_SHOW_MULTIPLE_LOCATIONS, 'true');
    assert.equal(env?.KUMO_IMAGE_CACHE_ENABLED, 'true');
    assert.match(env?.KUMO_IMAGE_STORES ?? '', /^\w+:file,\w+:file$/);
  });
});
