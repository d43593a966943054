import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';

import { modulesResponse } from './fixtures';
import { makeOptions, mockBackendSrv, pickOption, renderConfigEditor } from './helpers';

const MODULES_URL = '/api/datasources/uid/quarry-test/resources/_quarry/modules';

beforeEach(() => {
  mockBackendSrv({ [MODULES_URL]: modulesResponse });
});

describe('module picker', () => {
  it('lists the modules from _quarry/modules and writes jsonData.module', async () => {
    const get = mockBackendSrv({ [MODULES_URL]: modulesResponse });
    const { user, last } = renderConfigEditor(makeOptions());
    await waitFor(() => expect(get).toHaveBeenCalledWith(MODULES_URL, undefined, undefined, expect.anything()));
    // An empty module is flagged inline.
    expect(await screen.findByText('Choose the module this datasource runs')).toBeInTheDocument();

    await user.click(document.getElementById('quarry-module')!);
    const menu = await screen.findByRole('listbox');
    expect(within(menu).getByText('http-api')).toBeInTheDocument();
    expect(within(menu).getByText('synthetic')).toBeInTheDocument();
    expect(within(menu).getByText('broken')).toBeInTheDocument();
    expect(within(menu).getByText(/Cannot load: component imports wasi:sockets/)).toBeInTheDocument();
    await user.click(within(menu).getByText('http-api'));

    expect(last().jsonData.module).toBe('http-api');
    expect(screen.queryByText('Choose the module this datasource runs')).not.toBeInTheDocument();
    expect(screen.getByTestId('quarry-module-info')).toHaveTextContent('An in-house metrics API over HTTP');
    expect(screen.getByTestId('quarry-module-info')).toHaveTextContent('quarry:datasource@0.3.0');
  });

  it("shows a module's load error", async () => {
    renderConfigEditor(makeOptions({ jsonData: { module: 'broken' } }));
    expect(await screen.findByText('Module broken cannot be loaded')).toBeInTheDocument();
    expect(screen.getAllByText(/component imports wasi:sockets/).length).toBeGreaterThan(0);
    // No descriptor: the module's settings are edited as JSON.
    expect(document.getElementById('quarry-module-json')).toBeInTheDocument();
  });

  it('accepts a typed reference the list does not have', async () => {
    const { user, last } = renderConfigEditor(makeOptions());
    const input = document.getElementById('quarry-module')!;
    await user.click(input);
    await user.type(input, 'oci://registry.example/quarry/http-api:1.2{Enter}');
    expect(last().jsonData.module).toBe('oci://registry.example/quarry/http-api:1.2');
  });

  it('says so when the module list cannot be fetched, and still allows typing', async () => {
    mockBackendSrv({ [MODULES_URL]: new Error('plugin unavailable') });
    renderConfigEditor(makeOptions({ jsonData: { module: 'http-api' } }));
    expect(await screen.findByText("Could not list the host's modules")).toBeInTheDocument();
    expect(screen.getByText(/plugin unavailable/)).toBeInTheDocument();
  });
});

describe('host settings', () => {
  it('writes URL, endpoint, allowed hosts and limits, with inline validation', async () => {
    const { user, last } = renderConfigEditor(makeOptions({ jsonData: { module: 'synthetic' } }));
    await screen.findByTestId('quarry-module-info');

    await user.type(document.getElementById('quarry-url')!, 'not a url');
    expect(screen.getByText(/Not a valid URL/)).toBeInTheDocument();
    await user.clear(document.getElementById('quarry-url')!);
    await user.type(document.getElementById('quarry-url')!, 'https://api.example.com');
    expect(last().url).toBe('https://api.example.com');
    expect(screen.queryByText(/Not a valid URL/)).not.toBeInTheDocument();

    await user.type(document.getElementById('quarry-endpoint')!, 'ftp://x');
    expect(screen.getByText('Only http:// and https:// URLs are allowed')).toBeInTheDocument();

    await user.type(document.getElementById('quarry-allowed-hosts')!, 'metrics.internal:8443{Enter}');
    await user.type(document.getElementById('quarry-allowed-hosts')!, 'bad host!{Enter}');
    expect(last().jsonData.allowedHosts).toEqual(['metrics.internal:8443', 'bad host!']);
    expect(screen.getByText(/"bad host!" is not host, host:port, host:\* or a URL/)).toBeInTheDocument();

    await user.type(document.getElementById('quarry-timeout')!, '2.5');
    expect(last().jsonData.timeout).toBe(2.5);
    await user.type(document.getElementById('quarry-maxStreams')!, '1.5');
    expect(screen.getByText('Must be a whole number')).toBeInTheDocument();
    await user.clear(document.getElementById('quarry-maxStreams')!);
    await user.type(document.getElementById('quarry-maxStreams')!, '20');
    expect(last().jsonData.maxStreams).toBe(20);
    expect(screen.queryByText('Must be a whole number')).not.toBeInTheDocument();
    await user.type(document.getElementById('quarry-callTimeoutMs')!, '5000');
    await user.type(document.getElementById('quarry-memoryLimitMb')!, '128');
    await user.type(document.getElementById('quarry-maxResponseBytes')!, '1048576');
    expect(last().jsonData).toMatchObject({ callTimeoutMs: 5000, memoryLimitMb: 128, maxResponseBytes: 1048576 });
  });
});

describe('module settings from the descriptor', () => {
  it('renders every setting kind with its widget and writes jsonData', async () => {
    const { user, last } = renderConfigEditor(makeOptions({ jsonData: { module: 'http-api' } }));
    await screen.findByTestId('quarry-module-info');

    // string (required): flagged until filled
    expect(screen.getByText('Endpoint is required')).toBeInTheDocument();
    const endpoint = document.getElementById('quarry-setting-endpoint') as HTMLInputElement;
    expect(endpoint.placeholder).toBe('https://metrics.example.com/api');
    await user.type(endpoint, 'https://metrics.example.com/api');
    expect(last().jsonData.endpoint).toBe('https://metrics.example.com/api');
    expect(screen.queryByText('Endpoint is required')).not.toBeInTheDocument();

    // enum: a Select of the options, default shown
    expect(screen.getByText('Fast')).toBeInTheDocument();
    await pickOption(user, 'quarry-setting-mode', 'Exact');
    expect(last().jsonData.mode).toBe('exact');

    // integer: whole numbers only
    await user.type(document.getElementById('quarry-setting-retries')!, '2.5');
    expect(screen.getByText('Must be a whole number')).toBeInTheDocument();
    await user.clear(document.getElementById('quarry-setting-retries')!);
    await user.type(document.getElementById('quarry-setting-retries')!, '5');
    expect(last().jsonData.retries).toBe(5);

    // number
    await user.type(document.getElementById('quarry-setting-ratio')!, '0.25');
    expect(last().jsonData.ratio).toBe(0.25);

    // boolean: a Switch
    const verbose = document.getElementById('quarry-setting-verbose') as HTMLInputElement;
    expect(verbose.type).toBe('checkbox');
    expect(verbose.checked).toBe(false);
    await user.click(verbose);
    expect(last().jsonData.verbose).toBe(true);

    // string-list: tags
    await user.type(document.getElementById('quarry-setting-regions')!, 'eu-west{Enter}us-east{Enter}');
    expect(last().jsonData.regions).toEqual(['eu-west', 'us-east']);

    // string-map: key/value rows
    await user.click(screen.getByRole('button', { name: 'Add quarry-setting-headers row' }));
    await user.type(screen.getByLabelText('quarry-setting-headers key 1'), 'X-Team');
    await user.type(screen.getByLabelText('quarry-setting-headers value 1'), 'observability');
    expect(last().jsonData.headers).toEqual({ 'X-Team': 'observability' });

    // Nothing secret ends up in jsonData.
    expect(last().jsonData).not.toHaveProperty('apiKey');
  });
});

describe('a setting key the host also reads', () => {
  it("edits jsonData.endpoint once, in the module's section, with the host's URL check", async () => {
    const { user, last } = renderConfigEditor(makeOptions({ jsonData: { module: 'synthetic' } }));
    await screen.findByTestId('quarry-module-info');
    // A module that does not declare `endpoint`: the host's own field.
    expect(document.getElementById('quarry-endpoint')).toBeInTheDocument();

    await pickOption(user, 'quarry-module', 'http-api');
    expect(document.getElementById('quarry-endpoint')).toBeNull();
    await user.type(document.getElementById('quarry-setting-endpoint')!, 'metrics.example.com');
    expect(screen.getByText(/Not a valid URL/)).toBeInTheDocument();
    expect(last().jsonData.endpoint).toBe('metrics.example.com');
  });
});

describe('secrets', () => {
  it('writes a new secret to secureJsonData only', async () => {
    const { user, last } = renderConfigEditor(makeOptions({ jsonData: { module: 'http-api' } }));
    await screen.findByTestId('quarry-module-info');
    const input = document.getElementById('quarry-setting-apiKey') as HTMLInputElement;
    expect(input.type).toBe('password');
    await user.type(input, 's3cr3t-value');
    expect(last().secureJsonData).toEqual({ apiKey: 's3cr3t-value' });
    expect(JSON.stringify(last().jsonData)).not.toContain('s3cr3t-value');
  });

  it('shows a saved secret as configured, never its value, and resets it', async () => {
    const { user, last, container } = renderConfigEditor(
      makeOptions({ jsonData: { module: 'http-api' }, secureJsonFields: { apiKey: true } })
    );
    await screen.findByTestId('quarry-module-info');
    const input = document.getElementById('quarry-setting-apiKey') as HTMLInputElement;
    expect(input).toBeDisabled();
    expect(input.value).toBe('configured');
    // The harness never had the value; make sure nothing invented one either.
    expect(container.innerHTML).not.toMatch(/s3cr3t/);
    expect(last().jsonData).not.toHaveProperty('apiKey');

    // The only configured secret, so the only Reset button.
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(last().secureJsonFields.apiKey).toBe(false);
    expect(last().secureJsonData?.apiKey).toBe('');
    expect(document.getElementById('quarry-setting-apiKey')).not.toBeDisabled();
  });

  it('edits the grant of each secret: read and attachTo', async () => {
    const { user, last } = renderConfigEditor(
      makeOptions({ jsonData: { module: 'http-api' }, secureJsonFields: { apiKey: true, legacyToken: true } })
    );
    await screen.findByTestId('quarry-module-info');
    // One grant editor for the declared secret and one for the other saved secure key.
    expect(screen.getByTestId('quarry-grant-apiKey')).toBeInTheDocument();
    expect(screen.getByTestId('quarry-grant-legacyToken')).toBeInTheDocument();

    await user.click(document.getElementById('quarry-grant-read-apiKey')!);
    expect(last().jsonData.secretGrants).toEqual({ apiKey: { read: true } });

    await user.type(document.getElementById('quarry-grant-attach-apiKey')!, 'https://api.example.com:8443{Enter}');
    expect(last().jsonData.secretGrants).toEqual({ apiKey: { read: true, attachTo: ['https://api.example.com:8443'] } });

    await user.type(document.getElementById('quarry-grant-attach-legacyToken')!, 'https://x.example.com/path{Enter}');
    expect(screen.getByText(/is not an origin/)).toBeInTheDocument();

    // Back to the default: the grant disappears.
    await user.click(document.getElementById('quarry-grant-read-apiKey')!);
    expect(last().jsonData.secretGrants?.apiKey).toEqual({ attachTo: ['https://api.example.com:8443'] });
  });
});

describe('modules without a descriptor (contract 0.2)', () => {
  it("edits the module's part of jsonData as JSON and keeps the host's keys", async () => {
    const { last } = renderConfigEditor(
      makeOptions({ jsonData: { module: 'synthetic', timeout: 5, seriesPrefix: 'demo' } })
    );
    await screen.findByTestId('quarry-module-info');
    expect(screen.getByText(/does not describe its settings/)).toBeInTheDocument();
    const editor = document.getElementById('quarry-module-json') as HTMLTextAreaElement;
    expect(JSON.parse(editor.value)).toEqual({ seriesPrefix: 'demo' });

    fireEvent.change(editor, { target: { value: '{"seriesPrefix": "prod", "points": 500}' } });
    act(() => {
      fireEvent.blur(editor);
    });
    expect(last().jsonData).toEqual({ module: 'synthetic', timeout: 5, seriesPrefix: 'prod', points: 500 });

    fireEvent.change(editor, { target: { value: '[1,2]' } });
    act(() => {
      fireEvent.blur(editor);
    });
    expect(screen.getByText('Must be a JSON object ({ ... })')).toBeInTheDocument();
    fireEvent.change(editor, { target: { value: '{oops' } });
    act(() => {
      fireEvent.blur(editor);
    });
    expect(screen.getByText(/Invalid JSON/)).toBeInTheDocument();
    expect(last().jsonData).toEqual({ module: 'synthetic', timeout: 5, seriesPrefix: 'prod', points: 500 });
  });

  it('edits secure settings by name, and shows saved ones as configured', async () => {
    const { user, last } = renderConfigEditor(
      makeOptions({ jsonData: { module: 'synthetic' }, secureJsonFields: { token: true } })
    );
    await screen.findByTestId('quarry-module-info');
    expect(document.getElementById('quarry-secret-token')).toHaveValue('configured');
    await user.type(screen.getByLabelText('New secret name'), 'apiKey');
    await user.click(screen.getByRole('button', { name: /Add secret/ }));
    await user.type(document.getElementById('quarry-secret-apiKey')!, 'k-123');
    expect(last().secureJsonData).toEqual({ apiKey: 'k-123' });
    expect(last().jsonData).toEqual({ module: 'synthetic' });
    // Its grant editor appears with it.
    expect(screen.getByTestId('quarry-grant-apiKey')).toBeInTheDocument();
  });
});
