// The host's reserved resources, as URLs and fetchers. The ConfigEditor has no datasource instance,
// so it goes through backendSrv with the datasource uid; the DataSource uses getResource().

import { getBackendSrv } from '@grafana/runtime';

import { ModulesResponse, StatusResponse } from './types';

export const RESERVED_PREFIX = '_quarry/';

export function resourceUrl(uid: string, path: string): string {
  return `/api/datasources/uid/${encodeURIComponent(uid)}/resources/${RESERVED_PREFIX}${path}`;
}

/** `GET _quarry/modules` for the datasource `uid`. */
export async function fetchModules(uid: string): Promise<ModulesResponse> {
  const res = await getBackendSrv().get<ModulesResponse>(resourceUrl(uid, 'modules'), undefined, undefined, {
    showErrorAlert: false,
  });
  return { modules: Array.isArray(res?.modules) ? res.modules : [] };
}

/** A readable message from whatever backendSrv rejected with. */
export function errorMessage(err: unknown): string {
  if (!err) {
    return 'unknown error';
  }
  if (typeof err === 'string') {
    return err;
  }
  const e = err as { data?: { message?: string; error?: string }; message?: string; statusText?: string; status?: number };
  const text = e.data?.message ?? e.data?.error ?? e.message ?? e.statusText;
  if (text) {
    return e.status ? `${text} (HTTP ${e.status})` : text;
  }
  return e.status ? `HTTP ${e.status}` : JSON.stringify(err);
}

export type { ModulesResponse, StatusResponse };
