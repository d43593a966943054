// Two builds from one file:
//   webpack --mode production            -> dist/module.js: the plugin, an AMD module whose shared
//                                           libraries are left to Grafana (externals below).
//   webpack --mode development --env testpage
//                                        -> dist-testpage/: a standalone page for the browser test,
//                                           with React and the real @grafana/ui/data/runtime bundled in.
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');
const HtmlWebpackPlugin = require('html-webpack-plugin');

// Libraries Grafana's frontend provides to plugins at runtime (its SystemJS import map); a plugin must
// not bundle its own copies of these.
const GRAFANA_EXTERNALS = [
  { 'amd-module': 'module' },
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react-dom',
  'react-redux',
  'redux',
  'rxjs',
  /^rxjs\/operators$/,
  'i18next',
  'react-router',
  'react-router-dom',
  'd3',
  'angular',
  /^@grafana\/ui/i,
  /^@grafana\/runtime/i,
  /^@grafana\/data/i,
  /^@grafana\/i18n/i,
  // Legacy SDK imports ("grafana/app/...") resolve inside Grafana.
  ({ request }, callback) => {
    if (request && request.startsWith('grafana/')) {
      return callback(undefined, request.replace('grafana/', ''));
    }
    callback();
  },
];

const swcRule = {
  test: /\.[jt]sx?$/,
  exclude: /node_modules/,
  use: {
    loader: 'swc-loader',
    options: {
      jsc: {
        // The classic runtime (React.createElement) works with whichever React Grafana provides;
        // bundling react/jsx-runtime would tie the plugin to one React's internals.
        transform: { react: { runtime: 'classic' } },
        parser: { syntax: 'typescript', tsx: true },
        target: 'es2020',
      },
    },
  },
};

module.exports = (env = {}, argv = {}) => {
  const production = argv.mode === 'production';

  if (env.testpage) {
    return {
      mode: argv.mode || 'development',
      target: 'web',
      devtool: false,
      entry: { testpage: path.resolve(__dirname, 'testpage/index.tsx') },
      output: { path: path.resolve(__dirname, 'dist-testpage'), filename: '[name].js', clean: true },
      resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs'] },
      module: {
        rules: [
          swcRule,
          { test: /\.css$/, use: ['style-loader', 'css-loader'] },
          { test: /\.(svg|png|woff2?|ttf|eot)$/, type: 'asset/resource' },
          // Some of Grafana's dependencies ship ESM that omits file extensions.
          { test: /\.m?js$/, resolve: { fullySpecified: false } },
        ],
      },
      plugins: [new HtmlWebpackPlugin({ title: 'Quarry editors test page', template: path.resolve(__dirname, 'testpage/index.html') })],
      performance: { hints: false },
      cache: { type: 'filesystem', cacheDirectory: path.resolve(__dirname, 'node_modules/.cache/webpack-testpage') },
    };
  }

  return {
    mode: production ? 'production' : 'development',
    target: 'web',
    devtool: 'source-map',
    context: __dirname,
    entry: { module: path.resolve(__dirname, 'src/module.ts') },
    output: {
      path: path.resolve(__dirname, 'dist'),
      filename: '[name].js',
      library: { type: 'amd' },
      uniqueName: 'quarry-wasm-datasource',
      clean: true,
    },
    externals: GRAFANA_EXTERNALS,
    resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx'] },
    module: { rules: [swcRule] },
    plugins: [
      new CopyWebpackPlugin({
        patterns: [{ from: path.resolve(__dirname, 'img'), to: 'img' }],
      }),
    ],
    performance: { hints: false },
  };
};
