// Inline validation of the ConfigEditor. Messages only: nothing here blocks Grafana's "Save & test";
// the host checks the same things again and reports them through the health check.

import { JsonValue, QuarryOptions, SettingDescriptor } from './types';

export function validateHttpUrl(text: string | undefined): string | undefined {
  if (!text || text.trim() === '') {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return 'Not a valid URL (expected e.g. https://api.example.com)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'Only http:// and https:// URLs are allowed';
  }
  if (url.username || url.password) {
    return 'Credentials inside URLs are refused by the host; use a secret instead';
  }
  return undefined;
}

const HOST = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])`;
const HOST_ENTRY = new RegExp(`^${HOST}(?::(\\*|\\d{1,5}))?$`);

/** An `allowedHosts` entry: `host`, `host:port`, `host:*`, or a URL. */
export function validateHostEntry(entry: string): string | undefined {
  if (entry.includes('://')) {
    return validateHttpUrl(entry);
  }
  const m = HOST_ENTRY.exec(entry);
  if (!m) {
    return `"${entry}" is not host, host:port, host:* or a URL`;
  }
  if (m[1] && m[1] !== '*' && (Number(m[1]) < 1 || Number(m[1]) > 65535)) {
    return `"${entry}": port must be 1-65535`;
  }
  return undefined;
}

/** A secret grant's `attachTo` entry: an origin, scheme://host[:port], nothing after it. */
export function validateOrigin(entry: string): string | undefined {
  const urlError = validateHttpUrl(entry);
  if (urlError) {
    return `"${entry}": ${urlError}`;
  }
  const url = new URL(entry);
  if (entry.replace(/\/$/, '') !== `${url.protocol}//${url.host}` && entry.replace(/\/$/, '') !== url.origin) {
    return `"${entry}" is not an origin (scheme://host[:port], no path)`;
  }
  return undefined;
}

export interface LimitField {
  key: 'timeout' | 'maxResponseBytes' | 'callTimeoutMs' | 'memoryLimitMb' | 'maxStreams';
  label: string;
  description: string;
  integer: boolean;
  defaultValue: number;
}

export const LIMIT_FIELDS: LimitField[] = [
  { key: 'timeout', label: 'HTTP timeout (s)', description: 'Bounds each HTTP request the module makes.', integer: false, defaultValue: 10 },
  {
    key: 'maxResponseBytes',
    label: 'Max response bytes',
    description: 'Largest HTTP response body the module may read.',
    integer: true,
    defaultValue: 16777216,
  },
  { key: 'callTimeoutMs', label: 'Call timeout (ms)', description: 'Deadline of each module call.', integer: true, defaultValue: 30000 },
  { key: 'memoryLimitMb', label: 'Memory limit (MiB)', description: 'Memory of each module call.', integer: true, defaultValue: 256 },
  { key: 'maxStreams', label: 'Max streams', description: 'Concurrent streams of this datasource.', integer: true, defaultValue: 100 },
];

/** A number the host reads: absent is fine (default), otherwise a positive number (whole where needed). */
export function validateNumberValue(value: unknown, integer: boolean, positive = true): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (typeof value === 'string' && value.trim() === '') {
    return undefined;
  }
  if (!Number.isFinite(n)) {
    return 'Must be a number';
  }
  if (integer && !Number.isInteger(n)) {
    return 'Must be a whole number';
  }
  if (positive && n <= 0) {
    return 'Must be greater than 0';
  }
  return undefined;
}

export type HostErrors = Partial<Record<'module' | 'url' | 'endpoint' | 'allowedHosts' | LimitField['key'], string>>;

export function validateHost(url: string | undefined, jsonData: QuarryOptions): HostErrors {
  const errors: HostErrors = {};
  if (!jsonData.module || String(jsonData.module).trim() === '') {
    errors.module = 'Choose the module this datasource runs';
  }
  const urlError = validateHttpUrl(url);
  if (urlError) {
    errors.url = urlError;
  }
  const endpointError = validateHttpUrl(jsonData.endpoint);
  if (endpointError) {
    errors.endpoint = endpointError;
  }
  const hostErrors = (jsonData.allowedHosts ?? []).map(validateHostEntry).filter(Boolean);
  if (hostErrors.length > 0) {
    errors.allowedHosts = hostErrors.join('; ');
  }
  for (const field of LIMIT_FIELDS) {
    const e = validateNumberValue(jsonData[field.key], field.integer);
    if (e) {
      errors[field.key] = e;
    }
  }
  return errors;
}

function isBlank(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0)
  );
}

/** The inline error of one module setting, or undefined. */
export function validateSetting(
  setting: SettingDescriptor,
  value: unknown,
  secretConfigured = false
): string | undefined {
  if (setting.required && isBlank(value) && !secretConfigured && isBlank(setting.default as JsonValue)) {
    return `${setting.title || setting.key} is required`;
  }
  if (isBlank(value)) {
    return undefined;
  }
  switch (setting.kind) {
    case 'integer':
      return validateNumberValue(value, true, false);
    case 'number':
      return validateNumberValue(value, false, false);
    case 'enum':
      return setting.options.length > 0 && !setting.options.some((o) => o.value === value)
        ? `"${String(value)}" is not one of the choices`
        : undefined;
    default:
      return undefined;
  }
}
