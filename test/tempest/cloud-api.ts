/** Calls the profiles make to set a cloud up for Tempest. */

/** A JSON (or raw upload) call with a token; a status of 400 or more throws. */
export async function call(base: string, token: string, method: string, path: string, body?: unknown, raw?: Buffer): Promise<unknown> {
  const headers: Record<string, string> = { 'x-auth-token': token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (raw) headers['content-type'] = 'application/octet-stream';
  const res = await fetch(`${base}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}
