/** Extras are JSON objects stored as text; a corrupt value reads as empty rather than failing a request. */
export function readJson(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function writeJson(value: Record<string, unknown> | undefined): string {
  return JSON.stringify(value ?? {});
}

export const bool = (v: number | boolean | null | undefined): boolean => v === true || v === 1 || (v as unknown) === '1';
export const int = (v: boolean | undefined): number => (v ? 1 : 0);
