// Browser test: serves dist-testpage/ on 127.0.0.1, drives Debian's Chromium with playwright-core,
// fills the ConfigEditor and the QueryEditor like a person would and checks what they produced.
// Screenshots go to test-artifacts/ (ignored) and docs/ (committed, used by the README).

import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pageDir = join(root, 'dist-testpage');
// @grafana/ui loads its icons from public/build/img/icons/ (served by Grafana); the npm package ships them.
const ICONS_URL = '/public/build/img/icons/';
const iconDir = join(root, 'node_modules/@grafana/ui/dist/public/img/icons');
const artifacts = join(root, 'test-artifacts');
const docs = join(root, 'docs');
mkdirSync(artifacts, { recursive: true });
mkdirSync(docs, { recursive: true });

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2' };

function serve() {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const base = path.startsWith(ICONS_URL) ? iconDir : pageDir;
    const rel = path.startsWith(ICONS_URL) ? path.slice(ICONS_URL.length) : path === '/' ? 'index.html' : path;
    const file = join(base, rel);
    try {
      if (!file.startsWith(base) || !statSync(file).isFile()) {
        throw new Error('not a file');
      }
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** No focus ring, no hover: screenshots that differ only when the editors do. */
async function settle(page) {
  await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
  await page.mouse.move(0, 0);
  await page.waitForTimeout(300);
}

const results = [];
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`  ✕ ${name}\n    ${String(err?.stack ?? err).split('\n').join('\n    ')}`);
    throw err;
  }
}

const server = await serve();
const url = `http://127.0.0.1:${server.address().port}/`;
const userDataDir = mkdtempSync(join(tmpdir(), 'quarry-chromium-'));
let context;
let failed = false;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 1000 },
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Nothing leaves the machine: every request that is not the test page fails.
  await page.route('**/*', (route) => (route.request().url().startsWith(url) ? route.continue() : route.abort()));
  page.setDefaultTimeout(15000);

  console.log(`browser test: ${url} in /usr/bin/chromium`);
  await page.goto(url);

  const lastOptions = () => page.evaluate(() => window.__lastOptions);
  const lastQuery = () => page.evaluate(() => window.__lastQuery);
  const runCount = () => page.evaluate(() => window.__runCount);
  const config = page.locator('#config-panel');
  const queryPanel = page.locator('#query-panel');

  await step('ConfigEditor lists the modules and picks http-api', async () => {
    await config.locator('#quarry-module').click();
    const menu = page.getByRole('listbox');
    await menu.getByText('broken', { exact: true }).waitFor();
    assert.ok(await menu.getByText(/Cannot load: component imports wasi:sockets/).isVisible());
    await menu.getByText('http-api', { exact: true }).click();
    await config.getByTestId('quarry-module-info').getByText('An in-house metrics API over HTTP').waitFor();
    assert.equal((await lastOptions()).jsonData.module, 'http-api');
  });

  await step('endpoint, API key (SecretInput), grant, module settings', async () => {
    await config.locator('#quarry-url').fill('https://metrics.example.com');
    await config.locator('#quarry-setting-endpoint').fill('https://metrics.example.com/api');
    await config.locator('#quarry-setting-apiKey').fill('browser-secret-123');
    // Grafana's Switch hides the checkbox under a styled label: click the label.
    await config.locator('label[for="quarry-grant-read-apiKey"]').last().click();
    const attach = config.locator('#quarry-grant-attach-apiKey');
    await attach.fill('https://metrics.example.com:8443');
    await attach.press('Enter');
    await config.locator('#quarry-setting-mode').click();
    await page.getByRole('listbox').getByText('Exact', { exact: true }).click();
    await config.locator('#quarry-setting-retries').fill('5');
    const regions = config.locator('#quarry-setting-regions');
    await regions.fill('eu-west');
    await regions.press('Enter');
    await config.getByRole('button', { name: 'Add quarry-setting-headers row' }).click();
    await config.getByLabel('quarry-setting-headers key 1').fill('X-Team');
    await config.getByLabel('quarry-setting-headers value 1').fill('observability');
    await config.locator('#quarry-allowed-hosts').fill('status.example.com:*');
    await config.locator('#quarry-allowed-hosts').press('Enter');
    await config.locator('#quarry-timeout').fill('5');

    const o = await lastOptions();
    assert.equal(o.url, 'https://metrics.example.com');
    assert.deepEqual(o.jsonData, {
      module: 'http-api',
      endpoint: 'https://metrics.example.com/api',
      secretGrants: { apiKey: { read: true, attachTo: ['https://metrics.example.com:8443'] } },
      mode: 'exact',
      retries: 5,
      regions: ['eu-west'],
      headers: { 'X-Team': 'observability' },
      allowedHosts: ['status.example.com:*'],
      timeout: 5,
    });
    assert.deepEqual(o.secureJsonData, { apiKey: 'browser-secret-123' });
    assert.ok(!JSON.stringify(o.jsonData).includes('browser-secret-123'), 'secret leaked into jsonData');
    // No inline errors left.
    assert.equal(await config.getByText('is required').count(), 0);
    assert.equal(await config.getByText(/Not a valid URL/).count(), 0);
  });

  await step('inline validation shows and clears', async () => {
    await config.locator('#quarry-maxStreams').fill('2.5');
    await config.getByText('Must be a whole number').waitFor();
    await config.locator('#quarry-maxStreams').fill('');
    assert.equal(await config.getByText('Must be a whole number').count(), 0);
  });

  await step('config screenshots', async () => {
    await settle(page);
    await config.screenshot({ path: join(artifacts, 'config-editor.png'), animations: 'disabled' });
    copyFileSync(join(artifacts, 'config-editor.png'), join(docs, 'config-editor.png'));
  });

  await step('QueryEditor applies defaultQuery to the new query', async () => {
    await queryPanel.locator('#quarry-q-A-metricName').waitFor();
    await page.waitForFunction(() => window.__lastQuery?.metricName === 'cpu');
    assert.deepEqual(await lastQuery(), { refId: 'A', metricName: 'cpu' });
  });

  await step('raw JSON adds a key the schema does not cover', async () => {
    await queryPanel.locator('label[for="quarry-raw-toggle-A"]').last().click();
    const raw = queryPanel.locator('#quarry-raw-json');
    await raw.fill(JSON.stringify({ metricName: 'cpu', extra: { keep: [1, 'two'] } }, null, 2));
    await raw.blur();
    assert.deepEqual(await lastQuery(), { refId: 'A', metricName: 'cpu', extra: { keep: [1, 'two'] } });
    await queryPanel.locator('label[for="quarry-raw-toggle-A"]').last().click();
    await queryPanel.locator('#quarry-q-A-metricName').waitFor();
  });

  await step('form fields: text runs on blur, select and switch at once', async () => {
    const runsBefore = await runCount();
    const metric = queryPanel.locator('#quarry-q-A-metricName');
    await metric.fill('mem.used');
    assert.equal(await runCount(), runsBefore, 'typing must not run the query');
    await metric.blur();
    assert.equal(await runCount(), runsBefore + 1);

    await queryPanel.locator('#quarry-q-A-scenario').click();
    await page.getByRole('listbox').getByText('Sine', { exact: true }).click();
    assert.equal(await runCount(), runsBefore + 2);

    await queryPanel.locator('label[for="quarry-q-A-fill"]').last().click();
    assert.equal(await runCount(), runsBefore + 3);

    await queryPanel.locator('#quarry-q-A-seriesCount').fill('3');
    await queryPanel.locator('#quarry-q-A-amplitude').fill('2.5');
    await queryPanel.locator('#quarry-q-A-script').fill('rate(requests[5m])');
    const tags = queryPanel.locator('#quarry-q-A-tags');
    await tags.fill('prod');
    await tags.press('Enter');
    await queryPanel.getByRole('button', { name: 'Add quarry-q-A-labels row' }).click();
    await queryPanel.getByLabel('quarry-q-A-labels key 1').fill('env');
    await queryPanel.getByLabel('quarry-q-A-labels value 1').fill('$environment');
    await queryPanel.getByLabel('quarry-q-A-labels value 1').blur();

    assert.deepEqual(await lastQuery(), {
      refId: 'A',
      metricName: 'mem.used',
      extra: { keep: [1, 'two'] },
      scenario: 'sine',
      fill: true,
      seriesCount: 3,
      amplitude: 2.5,
      script: 'rate(requests[5m])',
      tags: ['prod'],
      labels: { env: '$environment' },
    });
  });

  await step('raw JSON shows the edited model', async () => {
    await queryPanel.locator('label[for="quarry-raw-toggle-A"]').last().click();
    const text = await queryPanel.locator('#quarry-raw-json').inputValue();
    const { refId, ...expected } = await lastQuery();
    assert.equal(refId, 'A');
    assert.deepEqual(JSON.parse(text), expected);
    await page.screenshot({ path: join(artifacts, 'query-editor-raw.png'), fullPage: true });
    await queryPanel.locator('label[for="quarry-raw-toggle-A"]').last().click();
  });

  await step('query screenshots', async () => {
    await settle(page);
    await queryPanel.screenshot({ path: join(artifacts, 'query-editor.png'), animations: 'disabled' });
    copyFileSync(join(artifacts, 'query-editor.png'), join(docs, 'query-editor.png'));
    await page.screenshot({ path: join(artifacts, 'page.png'), fullPage: true });
  });

  await step('with Monaco (?monaco=1): x-multiline uses CodeEditor, applied on blur', async () => {
    await page.goto(`${url}?monaco=1`);
    const editor = queryPanel.locator('#quarry-q-A-script .monaco-editor[role="code"]');
    await editor.waitFor();
    await page.waitForFunction(() => window.__lastQuery?.metricName === 'cpu');
    await editor.click();
    await page.keyboard.type('sum(rate(x[1m]))');
    const runsBefore = await runCount();
    await queryPanel.locator('#quarry-q-A-metricName').click(); // leaves the code editor
    await page.waitForFunction(() => window.__lastQuery?.script === 'sum(rate(x[1m]))');
    assert.equal(await runCount(), runsBefore + 1);
    await page.mouse.move(0, 0);
    await queryPanel.screenshot({ path: join(artifacts, 'query-editor-monaco.png') });
  });

  await step('no page errors, no request outside the page', async () => {
    assert.deepEqual(pageErrors, []);
    const requests = await page.evaluate(() => window.__requests);
    assert.ok(requests.every((r) => r.startsWith('/api/datasources/uid/quarry-browser/resources/_quarry/')), requests.join(', '));
  });
} catch (err) {
  failed = true;
  try {
    const page = context?.pages()[0];
    await page?.screenshot({ path: join(artifacts, 'failure.png'), fullPage: true });
    console.log(`  (screenshot of the failure: ${join(artifacts, 'failure.png')})`);
  } catch {
    // best effort
  }
} finally {
  await context?.close();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

const passed = results.filter((r) => r.ok).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(failed ? 1 : 0);
