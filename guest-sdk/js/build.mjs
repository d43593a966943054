#!/usr/bin/env node
// Builds a JavaScript module into a Quarry .wasm component with componentize-js.
//
//   node guest-sdk/js/build.mjs --module modules/http-api-js/index.js -o http-api-js.wasm
//
// --module is the ES module that calls exportDatasource(...); it imports this SDK by relative
// path (componentize-js resolves relative imports only). --wit is the contract's WIT directory
// (default: wit/ of the Quarry checkout this SDK lives in); --world module-http (default) or
// module. Run `npm ci` in guest-sdk/js first.

import { componentize } from '@bytecodealliance/componentize-js';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SDK = dirname(fileURLToPath(import.meta.url));

function commonAncestor(paths) {
  const parts = paths.map((p) => resolve(p).split(sep));
  const out = [];
  for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0][i]); i++) out.push(parts[0][i]);
  return out.join(sep) || sep;
}

const rel = (from, to) => {
  const r = relative(from, to).split(sep).join('/');
  return r.startsWith('.') ? r : `./${r}`;
};

export async function build({ module, output, wit = join(SDK, '..', '..', 'wit'), world = 'module-http' }) {
  const modulePath = resolve(module);
  const dir = dirname(modulePath);
  const entry = join(dir, `.quarry-entry-${process.pid}.js`);
  const src = join(SDK, 'src');
  const lines = [
    `import { logSink } from '${rel(dir, join(src, 'host-log.js'))}';`,
    `import { setLogSink } from '${rel(dir, join(src, 'log.js'))}';`,
  ];
  if (world === 'module-http') {
    lines.push(`import { send } from '${rel(dir, join(src, 'host-http.js'))}';`);
    lines.push(`import { setTransport } from '${rel(dir, join(src, 'http', 'index.js'))}';`);
  }
  lines.push(`import '${rel(dir, modulePath)}';`);
  lines.push(`export { datasource } from '${rel(dir, join(src, 'component.js'))}';`);
  lines.push('setLogSink(logSink);');
  if (world === 'module-http') lines.push('setTransport(send);');
  await writeFile(entry, `${lines.join('\n')}\n`);
  // componentize-js maps the working directory into the engine at build time: run it from a
  // directory holding both the module and this SDK.
  const cwd = process.cwd();
  process.chdir(commonAncestor([dir, SDK]));
  try {
    const { component } = await componentize({
      sourcePath: entry,
      witPath: resolve(cwd, wit),
      worldName: world,
      // The engine's own fetch, clocks, random and stdio are not used: the module talks to the
      // host only through the contract's imports.
      disableFeatures: ['stdio', 'random', 'clocks', 'http', 'fetch-event'],
    });
    const out = resolve(cwd, output);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, component);
    return out;
  } finally {
    process.chdir(cwd);
    await rm(entry, { force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      module: { type: 'string' },
      output: { type: 'string', short: 'o' },
      wit: { type: 'string' },
      world: { type: 'string', default: 'module-http' },
    },
  });
  if (!values.module || !values.output) {
    console.error('usage: node build.mjs --module <file.js> -o <out.wasm> [--wit <dir>] [--world module-http|module]');
    process.exit(2);
  }
  if (!['module-http', 'module'].includes(values.world)) {
    console.error(`unknown world ${values.world} (module-http or module)`);
    process.exit(2);
  }
  const out = await build(values);
  console.error(`built ${out}`);
}
