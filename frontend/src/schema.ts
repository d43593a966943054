// How a module's `querySchema` becomes a form: which widget each property gets, in which order,
// and what a new empty query starts with.

import { Descriptor, GRAFANA_QUERY_KEYS, JsonObject, JsonValue, QueryPropertySchema, QuerySchema } from './types';

/** The widget a query property is edited with. `unsupported` properties are left to the raw JSON editor. */
export type PropertyWidget =
  | 'enum'
  | 'string'
  | 'multiline'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'string-list'
  | 'string-map'
  | 'unsupported';

export function widgetFor(prop: QueryPropertySchema): PropertyWidget {
  if (Array.isArray(prop.enum) && prop.enum.length > 0) {
    return 'enum';
  }
  switch (prop.type) {
    case 'string':
      return prop['x-multiline'] ? 'multiline' : 'string';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return prop.items?.type === 'string' ? 'string-list' : 'unsupported';
    case 'object': {
      const ap = prop.additionalProperties;
      return typeof ap === 'object' && ap.type === 'string' ? 'string-map' : 'unsupported';
    }
    default:
      return 'unsupported';
  }
}

export interface OrderedProperty {
  name: string;
  schema: QueryPropertySchema;
  required: boolean;
  main: boolean;
}

/** Properties in display order: the `x-main` one first, then `x-order`, then the rest as declared. */
export function orderedProperties(schema: QuerySchema | null | undefined): OrderedProperty[] {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const names: string[] = [];
  for (const name of schema?.['x-order'] ?? []) {
    if (name in props && !names.includes(name)) {
      names.push(name);
    }
  }
  for (const name of Object.keys(props)) {
    if (!names.includes(name)) {
      names.push(name);
    }
  }
  const mainIndex = names.findIndex((n) => props[n]['x-main']);
  if (mainIndex > 0) {
    names.unshift(...names.splice(mainIndex, 1));
  }
  return names
    .filter((name) => !GRAFANA_QUERY_KEYS.includes(name))
    .map((name) => ({ name, schema: props[name], required: required.has(name), main: !!props[name]['x-main'] }));
}

/** `default` of every property that has one. */
export function schemaDefaults(schema: QuerySchema | null | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    if (prop.default !== undefined && !GRAFANA_QUERY_KEYS.includes(name)) {
      out[name] = prop.default;
    }
  }
  return out;
}

/** What a new, empty query starts with: the module's `defaultQuery`, else the schema's defaults. */
export function defaultQueryFor(descriptor: Descriptor | null | undefined): JsonObject {
  if (!descriptor) {
    return {};
  }
  if (descriptor.defaultQuery && typeof descriptor.defaultQuery === 'object') {
    return { ...descriptor.defaultQuery };
  }
  return schemaDefaults(descriptor.querySchema);
}

/** True when a query holds nothing but Grafana's own keys (a freshly added query). */
export function isEmptyQuery(query: object): boolean {
  return Object.entries(query).every(([k, v]) => GRAFANA_QUERY_KEYS.includes(k) || v === undefined);
}

/** Labels for enum values, from `x-enumLabels` (same index), else the value itself. */
export function enumOptions(prop: QueryPropertySchema): Array<{ value: JsonValue; label: string; description?: string }> {
  const labels = prop['x-enumLabels'] ?? [];
  const descriptions = prop['x-enumDescriptions'] ?? [];
  return (prop.enum ?? []).map((value, i) => ({
    value,
    label: labels[i] || String(value),
    description: descriptions[i] || undefined,
  }));
}

/** Parses the text of a number field; `undefined` for empty text, an error string when invalid. */
export function parseNumberText(text: string, integer: boolean): { value?: number; error?: string } {
  const trimmed = text.trim();
  if (trimmed === '') {
    return {};
  }
  const n = Number(trimmed);
  if (!Number.isFinite(n)) {
    return { error: 'Must be a number' };
  }
  if (integer && !Number.isInteger(n)) {
    return { error: 'Must be a whole number' };
  }
  return { value: n };
}
