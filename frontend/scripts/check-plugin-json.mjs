#!/usr/bin/env node
// npm run check:plugin-json -- <path/to/plugin.json> [--schema <path|url>]
//
// Validates a plugin.json against the JSON schema Grafana publishes as plugin.schema.json
// (grafana/grafana docs/sources/developers/plugins/). The schema is not part of this repository;
// it is looked up at check time, in this order:
//   1. --schema <path|url>, or the GRAFANA_PLUGIN_SCHEMA environment variable (path or URL);
//   2. ../shared/grafana/plugin.schema.json beside the repository (where the team can place the
//      published file for every machine and CI run);
//   3. a download of the published file: the URL in the plugin.json's "$schema" when it names
//      plugin.schema.json, else the canonical raw URL in grafana/grafana; a successful download is
//      cached in ~/.cache/quarry-frontend/ and that copy is used when a later download fails.
// Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable plugin.json, 3 schema unavailable.
// --schema-source only reports where the schema would come from (exit 0, or 3).

import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const CANONICAL_URL =
  'https://raw.githubusercontent.com/grafana/grafana/main/docs/sources/developers/plugins/plugin.schema.json';
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const sharedCopy = resolve(repoRoot, '..', 'shared', 'grafana', 'plugin.schema.json');
const cacheFile = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'quarry-frontend', 'plugin.schema.json');

function usage(message) {
  if (message) {
    console.error(`check-plugin-json: ${message}`);
  }
  console.error('usage: npm run check:plugin-json -- <path/to/plugin.json> [--schema <path|url>] [--schema-source]');
  process.exit(2);
}

const args = process.argv.slice(2);
let pluginPath;
let explicitSchema = process.env.GRAFANA_PLUGIN_SCHEMA || undefined;
let sourceOnly = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--schema') {
    explicitSchema = args[++i] ?? usage('--schema needs a path or URL');
  } else if (args[i] === '--schema-source') {
    sourceOnly = true;
  } else if (args[i].startsWith('-')) {
    usage(`unknown option ${args[i]}`);
  } else if (!pluginPath) {
    pluginPath = args[i];
  } else {
    usage('only one plugin.json at a time');
  }
}
if (!pluginPath && !sourceOnly) {
  usage('which plugin.json?');
}

let plugin;
if (pluginPath) {
  try {
    plugin = JSON.parse(readFileSync(pluginPath, 'utf8'));
  } catch (err) {
    console.error(`check-plugin-json: cannot read ${pluginPath}: ${err.message}`);
    process.exit(2);
  }
}

function parseSchema(text, from) {
  const schema = JSON.parse(text);
  if (!schema || typeof schema !== 'object' || !schema.properties || !schema.required) {
    throw new Error(`${from} is not a JSON schema for plugin.json`);
  }
  return schema;
}

async function download(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(15000), headers: { accept: 'application/json' } });
  if (!res.ok) {
    throw new Error(`HTTP ${res.status}`);
  }
  return res.text();
}

/** Finds Grafana's plugin.json schema; returns { schema, source } or throws with every attempt listed. */
async function loadSchema() {
  const tried = [];
  if (explicitSchema) {
    try {
      const text = /^https?:\/\//.test(explicitSchema) ? await download(explicitSchema) : readFileSync(explicitSchema, 'utf8');
      return { schema: parseSchema(text, explicitSchema), source: explicitSchema };
    } catch (err) {
      // An explicit choice that fails is an error of its own, not a reason to look elsewhere.
      throw new Error(`the schema given with --schema / GRAFANA_PLUGIN_SCHEMA (${explicitSchema}) cannot be used: ${err.message}`);
    }
  }
  if (existsSync(sharedCopy)) {
    return { schema: parseSchema(readFileSync(sharedCopy, 'utf8'), sharedCopy), source: sharedCopy };
  }
  tried.push(`${sharedCopy}: not there`);

  const urls = [];
  const declared = plugin?.$schema;
  if (typeof declared === 'string' && /^https:\/\/.*\/plugin\.schema\.json$/.test(declared)) {
    urls.push(declared);
  }
  if (!urls.includes(CANONICAL_URL)) {
    urls.push(CANONICAL_URL);
  }
  if (process.env.QUARRY_SCHEMA_OFFLINE) {
    tried.push('downloads: skipped (QUARRY_SCHEMA_OFFLINE is set)');
  } else {
    for (const url of urls) {
      try {
        const schema = parseSchema(await download(url), url);
        try {
          mkdirSync(dirname(cacheFile), { recursive: true });
          writeFileSync(cacheFile, JSON.stringify(schema));
        } catch {
          // The cache is a convenience.
        }
        return { schema, source: url };
      } catch (err) {
        tried.push(`${url}: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
      }
    }
  }
  if (existsSync(cacheFile) && !process.env.QUARRY_SCHEMA_OFFLINE) {
    console.error(`check-plugin-json: using the copy downloaded earlier (${cacheFile}); the download failed just now`);
    return { schema: parseSchema(readFileSync(cacheFile, 'utf8'), cacheFile), source: cacheFile };
  }
  tried.push(`${cacheFile}: ${process.env.QUARRY_SCHEMA_OFFLINE ? 'skipped' : 'no earlier download'}`);
  const err = new Error(
    [
      "cannot obtain Grafana's plugin.json schema (plugin.schema.json). Tried:",
      ...tried.map((t) => `  - ${t}`),
      'Provide it with --schema <path|url> or GRAFANA_PLUGIN_SCHEMA, or place the published file at',
      `  ${sharedCopy}`,
    ].join('\n')
  );
  err.unavailable = true;
  throw err;
}

let loaded;
try {
  loaded = await loadSchema();
} catch (err) {
  console.error(`check-plugin-json: ${err.message}`);
  process.exit(3);
}
if (sourceOnly) {
  console.log(loaded.source);
  process.exit(0);
}

// Grafana's schema is draft-07 and uses "format" (uri, email); unknown keywords are not errors. Its
// patterns escape "-" (e.g. "^[0-9a-z]+\\-..."), which JavaScript rejects in unicode regexps, so
// patterns are compiled without the u flag, as Go's and Python's validators read them.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
let validate;
try {
  validate = ajv.compile(loaded.schema);
} catch (err) {
  console.error(`check-plugin-json: the schema from ${loaded.source} does not compile: ${err.message}`);
  process.exit(3);
}
if (validate(plugin)) {
  console.log(`${pluginPath}: valid (schema: ${loaded.source})`);
  process.exit(0);
}
console.error(`${pluginPath}: INVALID against ${loaded.source}`);
for (const e of validate.errors) {
  const where = e.instancePath || '(root)';
  const extra =
    e.keyword === 'additionalProperties'
      ? ` "${e.params.additionalProperty}"`
      : e.keyword === 'enum'
        ? ` (${e.params.allowedValues.join(', ')})`
        : '';
  console.error(`  ${where}: ${e.message}${extra}`);
}
process.exit(1);
