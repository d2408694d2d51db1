/** A tiny OpenStack API client for benchmarks: admin token, catalog and JSON calls against a running `kumo up`. */
import { readAdminOpenrc } from '../identity/kumo-process.js';

export interface CloudClient {
  token: string;
  projectId: string;
  url: Record<string, string>;
  call<T = unknown>(service: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  raw(service: string, method: string, path: string, body: Buffer, headers?: Record<string, string>): Promise<number>;
}

export async function connect(dataDir: string): Promise<CloudClient> {
  const rc = readAdminOpenrc(dataDir);
  const authUrl = (rc.OS_AUTH_URL as string).replace(/\/+$/, '');
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: rc.OS_USERNAME, domain: { name: rc.OS_USER_DOMAIN_NAME ?? 'Default' }, password: rc.OS_PASSWORD } },
        },
        scope: { project: { name: rc.OS_PROJECT_NAME, domain: { name: rc.OS_PROJECT_DOMAIN_NAME ?? 'Default' } } },
      },
    }),
  });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`admin login failed: ${res.status}`);
  const body = (await res.json()) as {
    token: { project: { id: string }; catalog: { type: string; endpoints: { interface: string; url: string }[] }[] };
  };
  const url: Record<string, string> = {};
  for (const c of body.token.catalog) {
    const ep = c.endpoints.find((e) => e.interface === 'public');
    if (ep) url[c.type] = ep.url.replace(/\/+$/, '');
  }
  const call: CloudClient['call'] = async (service, method, path, b, headers = {}) => {
    const r = await fetch(`${url[service]}${path}`, {
      method,
      headers: { 'x-auth-token': token, ...(b === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: b === undefined ? undefined : JSON.stringify(b),
    });
    const text = await r.text();
    if (r.status >= 400) throw new Error(`${method} ${path} → ${r.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as never;
  };
  const raw: CloudClient['raw'] = async (service, method, path, data, headers = {}) => {
    const r = await fetch(`${url[service]}${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream', ...headers },
      body: data,
    });
    await r.arrayBuffer();
    return r.status;
  };
  return { token, projectId: body.token.project.id, url, call, raw };
}
