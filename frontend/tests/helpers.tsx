import { DataSourceInstanceSettings, DataSourceSettings } from '@grafana/data';
import { BackendSrv, setBackendSrv } from '@grafana/runtime';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React, { useState } from 'react';
import { from } from 'rxjs';

import { ConfigEditor } from '../src/components/ConfigEditor';
import { QuarryDataSource } from '../src/datasource';
import { QuarryOptions, QuarrySecureOptions } from '../src/types';

export type Options = DataSourceSettings<QuarryOptions, QuarrySecureOptions>;

export function makeOptions(patch: Partial<Options> = {}): Options {
  return {
    id: 1,
    uid: 'quarry-test',
    orgId: 1,
    name: 'Quarry',
    typeLogoUrl: '',
    type: 'quarry-wasm-datasource',
    typeName: 'Quarry',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: {},
    secureJsonFields: {},
    readOnly: false,
    withCredentials: false,
    ...patch,
  } as Options;
}

/**
 * A backendSrv whose `get` (used by the ConfigEditor) and `fetch` (used by DataSourceWithBackend's
 * getResource) answer from a table of URL -> response (or Error to reject).
 */
export function mockBackendSrv(routes: Record<string, unknown>) {
  const answer = async (url: string) => {
    if (!(url in routes)) {
      throw { status: 404, data: { message: `no route for ${url}` } };
    }
    const res = routes[url];
    if (res instanceof Error) {
      throw res;
    }
    return JSON.parse(JSON.stringify(res));
  };
  const get = jest.fn(answer);
  const fetch = jest.fn((req: { url: string }) => from(answer(req.url).then((data) => ({ data, status: 200, ok: true }))));
  setBackendSrv({ get, fetch } as unknown as BackendSrv);
  return Object.assign(get, { fetchMock: fetch });
}

/** Renders the ConfigEditor with its options held in state, as Grafana does; returns the latest options. */
export function renderConfigEditor(initial: Options) {
  const changes: Options[] = [];
  function Harness() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(o) => {
          changes.push(o);
          setOptions(o);
        }}
      />
    );
  }
  const user = userEvent.setup();
  const utils = render(<Harness />);
  return {
    ...utils,
    user,
    changes,
    last: (): Options => (changes.length ? changes[changes.length - 1] : initial),
  };
}

/** Opens a @grafana/ui Select by its input id and picks the option with that text. */
export async function pickOption(user: ReturnType<typeof userEvent.setup>, inputId: string, optionText: string | RegExp) {
  const input = document.getElementById(inputId);
  if (!input) {
    throw new Error(`no select input #${inputId}`);
  }
  await user.click(input);
  const menu = await screen.findByRole('listbox');
  await user.click(within(menu).getByText(optionText));
}

/** A real QuarryDataSource for the datasource uid `quarry-test`. */
export function makeDataSource(): QuarryDataSource {
  const settings = {
    id: 1,
    uid: 'quarry-test',
    type: 'quarry-wasm-datasource',
    name: 'Quarry',
    access: 'proxy',
    readOnly: false,
    jsonData: { module: 'http-api' },
    meta: { id: 'quarry-wasm-datasource', name: 'Quarry', type: 'datasource', info: {}, module: '', baseUrl: '' },
  } as unknown as DataSourceInstanceSettings<QuarryOptions>;
  return new QuarryDataSource(settings);
}

