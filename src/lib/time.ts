/** Timestamps as OpenStack APIs render them. */

/** `2015-11-05T22:00:11.000000Z` — Keystone's token timestamp format (microseconds). */
export function isoMicro(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** `2015-11-05T22:00:11Z` — seconds precision. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Database timestamp representation: ISO-8601 with milliseconds, sortable as text. */
export function dbTime(d: Date = new Date()): string {
  return d.toISOString();
}

/** Parses an ISO-8601 timestamp; undefined when it is not one. */
export function parseTime(s: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) return undefined;
  const d = new Date(s.includes('T') || s.length === 10 ? s : s.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? undefined : d;
}
