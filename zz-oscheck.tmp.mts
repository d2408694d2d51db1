import { execFileSync } from 'node:child_process';
import { startIdentity, ADMIN_PASSWORD } from '/work/main/test/support/identity-harness.js';
const h = await startIdentity();
const env = { ...process.env, OS_AUTH_URL: `${h.url}/v3`, OS_USERNAME: 'admin', OS_PASSWORD: ADMIN_PASSWORD, OS_PROJECT_NAME: 'admin',
  OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3' };
const os = (...args: string[]) => {
  try { const out = execFileSync('openstack', args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); console.log(`$ openstack ${args.join(' ')}\n${out}`); return out; }
  catch (e: any) { console.log(`$ openstack ${args.join(' ')}\nFAILED: ${e.stderr}`); return ''; }
};
const ac = JSON.parse(os('application', 'credential', 'create', 'mycred', '--description', 'd', '--expiration', '2099-01-01T00:00:00', '-f', 'json') || '{}');
os('application', 'credential', 'list');
os('application', 'credential', 'show', 'mycred');
os('application', 'credential', 'create', 'ro', '--role', 'reader', '-f', 'json');
const ec2 = JSON.parse(os('ec2', 'credentials', 'create', '-f', 'json') || '{}');
os('ec2', 'credentials', 'list');
os('ec2', 'credentials', 'show', ec2.access ?? 'x');
os('ec2', 'credentials', 'delete', ec2.access ?? 'x');
os('credential', 'create', '--type', 'totp', 'admin', 'SEEDSEED');
os('credential', 'list');
os('policy', 'create', '--type', 'application/json', '/etc/hostname');
os('policy', 'list');
os('service', 'create', '--name', 'nova', '--description', 'Compute', 'compute');
os('endpoint', 'create', '--region', 'RegionTwo', 'compute', 'public', 'http://nova:8774/v2.1/%(tenant_id)s');
os('endpoint', 'list');
// token from the app cred
const env2 = { PATH: process.env.PATH, OS_AUTH_URL: `${h.url}/v3`, OS_AUTH_TYPE: 'v3applicationcredential', OS_APPLICATION_CREDENTIAL_ID: ac.id, OS_APPLICATION_CREDENTIAL_SECRET: ac.secret, OS_IDENTITY_API_VERSION: '3' };
try { console.log(execFileSync('openstack', ['token', 'issue'], { env: env2, encoding: 'utf8' })); } catch (e: any) { console.log('APPCRED TOKEN FAILED', e.stderr); }
os('application', 'credential', 'delete', 'mycred');
await h.close();
