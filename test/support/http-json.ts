/** What the harnesses' `request` returns: the status, headers, the body parsed when it is JSON, and its text. */
export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** fetch, then the body as text and (when it parses) as JSON. */
export async function fetchJson(url: string, init: RequestInit): Promise<JsonResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}
