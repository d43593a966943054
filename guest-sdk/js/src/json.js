// JSON text as serde_json writes it: compact, floats as ryu writes them, NaN and infinities as
// null, non-ASCII kept, BigInts as integers.

import { ryu } from './fmt.js';
import { JsonNumber } from './serde.js';

export function toJson(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'null';
    return Number.isInteger(value) && !Object.is(value, -0) && Math.abs(value) < 2 ** 53 ? String(value) : ryu(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof JsonNumber) return String(value);
  if (typeof value.toJsonValue === 'function') return toJson(value.toJsonValue());
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  return `{${Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
    .join(',')}}`;
}
