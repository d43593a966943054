// Template-variable interpolation of a query model before it is sent to the backend.

/** Keys Grafana owns, or that select what the module does: never interpolated. */
export const NOT_INTERPOLATED = new Set(['refId', 'datasource', 'hide', 'key', 'queryType']);

/**
 * Returns a copy of `query` with `replace` applied to every string the module will read: top-level
 * strings, strings inside arrays (string lists), string values of objects (string maps), at any depth.
 * Numbers, booleans, nulls and object keys are left as they are.
 */
export function interpolateQuery<T extends object>(query: T, replace: (text: string) => string): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    out[key] = NOT_INTERPOLATED.has(key) ? value : interpolateValue(value, replace);
  }
  return out as T;
}

function interpolateValue(value: unknown, replace: (text: string) => string): unknown {
  if (typeof value === 'string') {
    return replace(value);
  }
  if (Array.isArray(value)) {
    return value.map((v) => interpolateValue(v, replace));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = interpolateValue(v, replace);
    }
    return out;
  }
  return value;
}
