// A standalone page for the browser test: the real @grafana/ui, @grafana/data and @grafana/runtime
// bundled with React and this plugin's editors, the host's `_quarry/` resources answered in the page.
// The test reads what the editors produced from window.__lastOptions / __lastQuery / __runCount.

import { DataSourceInstanceSettings, DataSourceSettings, createTheme } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, setBackendSrv } from '@grafana/runtime';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { from } from 'rxjs';

import { ConfigEditor } from '../src/components/ConfigEditor';
import { QueryEditor } from '../src/components/QueryEditor';
import { CodeEditorContext } from '../src/components/widgets';
import { QuarryDataSource } from '../src/datasource';
import { QuarryOptions, QuarryQuery, QuarrySecureOptions } from '../src/types';
import { httpApiDescriptor, modulesResponse, statusFor } from '../tests/fixtures';

type Options = DataSourceSettings<QuarryOptions, QuarrySecureOptions>;

declare global {
  interface Window {
    __lastOptions?: Options;
    __lastQuery?: QuarryQuery;
    __runCount: number;
    __requests: string[];
  }
}

const UID = 'quarry-browser';
const routes: Record<string, unknown> = {
  [`/api/datasources/uid/${UID}/resources/_quarry/modules`]: modulesResponse,
  [`/api/datasources/uid/${UID}/resources/_quarry/status`]: statusFor('http-api', httpApiDescriptor),
};

window.__runCount = 0;
window.__requests = [];

async function answer(url: string): Promise<unknown> {
  window.__requests.push(url);
  await new Promise((r) => setTimeout(r, 50)); // a little latency, as over the network
  if (!(url in routes)) {
    throw { status: 404, data: { message: `no route for ${url}` } };
  }
  return JSON.parse(JSON.stringify(routes[url]));
}

setBackendSrv({
  get: (url: string) => answer(url),
  fetch: (req: BackendSrvRequest) => from(answer(req.url).then((data) => ({ data, status: 200, ok: true }))),
} as unknown as BackendSrv);

const initialOptions: Options = {
  id: 7,
  uid: UID,
  orgId: 1,
  name: 'Metrics API (Quarry)',
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
} as Options;

const datasource = new QuarryDataSource({
  id: 7,
  uid: UID,
  type: 'quarry-wasm-datasource',
  name: 'Metrics API (Quarry)',
  access: 'proxy',
  readOnly: false,
  jsonData: { module: 'http-api' },
  meta: { id: 'quarry-wasm-datasource', name: 'Quarry', type: 'datasource', info: {}, module: '', baseUrl: '' },
} as unknown as DataSourceInstanceSettings<QuarryOptions>);

function ConfigHarness() {
  const [options, setOptions] = useState(initialOptions);
  return (
    <ConfigEditor
      options={options}
      onOptionsChange={(o) => {
        window.__lastOptions = o;
        setOptions(o);
      }}
    />
  );
}

function QueryHarness() {
  const [query, setQuery] = useState<QuarryQuery>({ refId: 'A' });
  return (
    <QueryEditor
      datasource={datasource}
      query={query}
      onChange={(q) => {
        window.__lastQuery = q;
        setQuery(q);
      }}
      onRunQuery={() => {
        window.__runCount += 1;
      }}
    />
  );
}

const theme = createTheme({ colors: { mode: 'dark' } });
const panel: React.CSSProperties = {
  padding: 24,
  margin: 16,
  background: theme.colors.background.primary,
  border: `1px solid ${theme.colors.border.weak}`,
  borderRadius: 4,
};

function App() {
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div style={{ background: theme.colors.background.canvas, minHeight: '100vh', padding: 8 }}>
        <div id="config-panel" style={{ ...panel, maxWidth: 960 }}>
          <ConfigHarness />
        </div>
        <div id="query-panel" style={{ ...panel, maxWidth: 1100 }}>
          {/* ?monaco=1: multi-line fields use @grafana/ui's CodeEditor (Monaco, bundled here) as in Grafana. */}
          <CodeEditorContext.Provider value={new URLSearchParams(window.location.search).has('monaco')}>
            <QueryHarness />
          </CodeEditorContext.Provider>
        </div>
      </div>
    </ThemeContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
