/**
 * Calls to the public APIs through the dashboard server's `/api/<service>`
 * proxy, with the signed-in user's token. Every OpenStack fault shape
 * (Nova's `{"itemNotFound": {...}}`, Keystone's `{"error": {...}}`,
 * Neutron's `{"NeutronError": {...}}`, Glance's text) becomes an ApiError
 * whose message is what the service said.
 */
import { currentToken, expireSession } from './session-store';

export type Service = 'identity' | 'compute' | 'image' | 'network' | 'placement' | 'volumev3' | 'object-store' | 'orchestration';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Compute microversion the pages are written against (remote consoles, tags, descriptions). */
export const NOVA_MICROVERSION = '2.79';

export interface CallOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sign-in calls carry no token. */
  anonymous?: boolean;
}

export async function call<T = unknown>(service: Service, path: string, opts: CallOptions = {}): Promise<T> {
  const r = await rawCall(service, path, opts);
  if (r.status === 204 || r.headers.get('content-length') === '0') return undefined as T;
  const text = await r.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function rawCall(service: Service, path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (opts.body !== undefined) headers['Content-Type'] ??= 'application/json';
  if (service === 'compute') headers['OpenStack-API-Version'] = `compute ${NOVA_MICROVERSION}`;
  const token = opts.anonymous ? undefined : currentToken();
  if (token) headers['X-Auth-Token'] = token;
  const r = await fetch(`/api/${service}${path}`, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  if (r.ok) return r;
  const message = faultMessage(await r.text(), r.status);
  // A token the cloud no longer accepts ends the session (the sign-in page says why).
  if (r.status === 401 && !opts.anonymous) expireSession(message);
  throw new ApiError(r.status, message);
}

/** The human message inside any OpenStack fault body. */
export function faultMessage(text: string, status: number): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (typeof body.message === 'string') return body.message;
    for (const v of Object.values(body)) {
      if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
    }
    if (typeof body.detail === 'string') return body.detail;
  } catch {
    // Not JSON: Glance and Swift answer some errors as text.
  }
  const plain = text
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain || `The request failed (HTTP ${status}).`;
}

/**
 * A raw upload with progress (image data): XMLHttpRequest, because fetch cannot report upload progress.
 * Resolves on 2xx, rejects with the service's message otherwise.
 */
export function upload(service: Service, path: string, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/api/${service}${path}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    const token = currentToken();
    if (token) xhr.setRequestHeader('X-Auth-Token', token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else reject(new ApiError(xhr.status, faultMessage(xhr.responseText, xhr.status)));
    };
    xhr.onerror = () => reject(new ApiError(0, 'The upload was interrupted.'));
    xhr.send(file);
  });
}
