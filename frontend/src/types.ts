// The shapes the Quarry host sends the frontend (`_quarry/modules`, `_quarry/status`) and the
// shapes the frontend stores (datasource jsonData, secure settings, query model).

import { DataQuery, DataSourceJsonData } from '@grafana/data';

/** A JSON value as it travels between Grafana, the host and a module. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type SettingKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'string-list' | 'string-map';

export interface SettingOption {
  value: string;
  label: string;
  description: string;
}

/** One setting a module declares; non-secret ones live in jsonData.<key>, secret ones in secureJsonData.<key>. */
export interface SettingDescriptor {
  key: string;
  kind: SettingKind;
  title: string;
  description: string;
  /** Already-parsed JSON default, or null. */
  default: JsonValue;
  required: boolean;
  secret: boolean;
  placeholder: string | null;
  options: SettingOption[];
}

/** The subset of JSON Schema the host emits for a module's query model, with Quarry's x- extensions. */
export interface QueryPropertySchema {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  title?: string;
  description?: string;
  default?: JsonValue;
  enum?: JsonValue[];
  items?: QueryPropertySchema;
  additionalProperties?: QueryPropertySchema | boolean;
  'x-placeholder'?: string;
  'x-main'?: boolean;
  'x-multiline'?: boolean;
  'x-enumLabels'?: string[];
  'x-enumDescriptions'?: string[];
}

export interface QuerySchema {
  type?: 'object';
  properties?: Record<string, QueryPropertySchema>;
  required?: string[];
  'x-order'?: string[];
}

export interface StreamDescriptor {
  path: string;
  description: string;
}

export interface Descriptor {
  description: string;
  settings: SettingDescriptor[];
  querySchema: QuerySchema | null;
  defaultQuery: JsonObject | null;
  streams: StreamDescriptor[];
  variableQueryType: string | null;
  annotationQueryType: string | null;
}

/** One entry of `GET _quarry/modules`. */
export interface ModuleInfo {
  name: string;
  file: string;
  size: number;
  sha256: string;
  contract: string;
  descriptor: Descriptor | null;
  error: string | null;
}

export interface ModulesResponse {
  modules: ModuleInfo[];
}

export interface RunningModule {
  name: string;
  sha256: string;
  contract: string;
  size: number;
  loadedAt: string;
  descriptor: Descriptor | null;
}

/** `GET _quarry/status`. */
export interface StatusResponse {
  uid: string;
  module: string;
  running: RunningModule | null;
  lastReloadError: string | null;
  error: string | null;
}

/** The operator's grant for one secure setting. */
export interface SecretGrant {
  read?: boolean;
  attachTo?: string[];
}

/** Keys of jsonData the host owns; everything else in jsonData belongs to the module. */
export const HOST_KEYS = [
  'module',
  'endpoint',
  'allowedHosts',
  'timeout',
  'maxResponseBytes',
  'callTimeoutMs',
  'memoryLimitMb',
  'maxStreams',
  'secretGrants',
] as const;

export type HostKey = (typeof HOST_KEYS)[number];

export interface QuarryOptions extends DataSourceJsonData {
  module?: string;
  endpoint?: string;
  allowedHosts?: string[];
  timeout?: number;
  maxResponseBytes?: number;
  callTimeoutMs?: number;
  memoryLimitMb?: number;
  maxStreams?: number;
  secretGrants?: Record<string, SecretGrant>;
  /** The module's own settings. */
  [key: string]: unknown;
}

export type QuarrySecureOptions = Record<string, string>;

/** The query model: Grafana's fields plus whatever the module's schema (or the user's raw JSON) holds. */
export interface QuarryQuery extends DataQuery {
  [key: string]: unknown;
}

/** Query keys that are Grafana's, not the module's: never shown as module fields, never interpolated. */
export const GRAFANA_QUERY_KEYS = ['refId', 'datasource', 'hide', 'key', 'queryType', 'datasourceId', 'intervalMs', 'maxDataPoints'];
