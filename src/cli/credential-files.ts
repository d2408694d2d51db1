import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface AdminCredentials {
  authUrl: string;
  password: string;
  region: string;
}

/** Writes admin-openrc and clouds.yaml (mode 0600) into the data dir; returns their paths. */
export function writeCredentialFiles(dataDir: string, c: AdminCredentials): { openrc: string; cloudsYaml: string } {
  const openrc = join(dataDir, 'admin-openrc');
  const cloudsYaml = join(dataDir, 'clouds.yaml');
  const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  const rc = [
    '# Source this file to use the openstack CLI as the Kumo admin.',
    'export OS_USERNAME=admin',
    `export OS_PASSWORD=${q(c.password)}`,
    'export OS_PROJECT_NAME=admin',
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    `export OS_AUTH_URL=${q(c.authUrl)}`,
    'export OS_IDENTITY_API_VERSION=3',
    `export OS_REGION_NAME=${q(c.region)}`,
    'export OS_INTERFACE=public',
    '',
  ].join('\n');
  const clouds = {
    clouds: {
      kumo: {
        auth: {
          auth_url: c.authUrl,
          username: 'admin',
          password: c.password,
          project_name: 'admin',
          user_domain_name: 'Default',
          project_domain_name: 'Default',
        },
        region_name: c.region,
        interface: 'public',
        identity_api_version: 3,
      },
    },
  };
  writeFileSync(openrc, rc, { mode: 0o600 });
  writeFileSync(cloudsYaml, stringify(clouds), { mode: 0o600 });
  // writeFileSync's mode only applies to new files.
  chmodSync(openrc, 0o600);
  chmodSync(cloudsYaml, 0o600);
  return { openrc, cloudsYaml };
}
