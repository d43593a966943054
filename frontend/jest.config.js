// jest + Testing Library in jsdom. TypeScript (and the ESM some of Grafana's dependencies ship) is
// compiled by @swc/jest.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', tsx: true },
      transform: { react: { runtime: 'classic' } },
      target: 'es2020',
    },
    module: { type: 'commonjs' },
  },
];

// ESM-only packages pulled in by @grafana/ui / @grafana/data that jest must transform.
const esmPackages = ['ol', 'd3', 'd3-[a-z-]+', 'internmap', 'delaunator', 'robust-predicates', 'marked', 'uuid', 'nanoid', '@kusto', 'monaco-promql', 'react-calendar', 'get-user-locale', 'memoize', 'mimic-function', 'rbush', 'quickselect', 'earcut', 'pbf', 'color-(space|parse|rgba|name)', 'ml-[a-z-]+', 'is-any-array', 'date-fns', '@wojtekmaj', 'react-colorful'];

module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src', '<rootDir>/tests'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  transform: { '^.+\\.(t|j|mj|cj)sx?$': swc },
  transformIgnorePatterns: [`node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: { '\\.(css|scss|sass)$': '<rootDir>/tests/styleStub.js' },
  setupFilesAfterEnv: ['<rootDir>/tests/setup.ts'],
  testTimeout: 20000,
};
