// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layering, checked: data flows cli -> client -> (socket) -> daemon routes -> services -> backends -> OS.
 * Each layer lists the project folders it may not import (relative imports, so a folder is matched after any
 * run of `../`). Tests may import anything.
 */
const from = (names) => `^(\\.\\./)+(${names.join('|')})/`;
const forbid = (names, message, allowTypeImports = false) => ({
  regex: from(names),
  message,
  allowTypeImports,
});
const layers = [
  {
    files: ['src/core/**/*.ts'],
    patterns: [
      forbid(
        ['api', 'cli', 'client', 'daemon', 'services', 'backends', 'mirror', 'testing'],
        'core/ imports nothing of the project.',
      ),
    ],
  },
  {
    files: ['src/api/**/*.ts'],
    patterns: [
      forbid(['cli', 'client', 'daemon', 'services', 'backends', 'mirror'], 'api/ is the wire contract.'),
    ],
  },
  {
    files: ['src/cli/**/*.ts'],
    patterns: [
      forbid(['daemon', 'services', 'backends'], 'The CLI reaches the daemon through client/ only.'),
    ],
  },
  {
    files: ['src/client/**/*.ts'],
    patterns: [
      forbid(['cli', 'daemon', 'services', 'backends', 'mirror'], 'client/ knows the wire contract only.'),
    ],
  },
  {
    files: ['src/services/**/*.ts'],
    patterns: [
      forbid(['cli', 'client', 'daemon'], 'Services are called by the daemon, never the other way.'),
      forbid(
        ['backends'],
        'Services get backends injected: type imports only (compose*.ts builds them).',
        true,
      ),
    ],
  },
  {
    files: ['src/backends/**/*.ts'],
    patterns: [
      forbid(['cli', 'client', 'daemon', 'api', 'mirror'], 'Backends see core/ and the ports services own.'),
      {
        regex: '^(\\.\\./)+services/(?!.*/(ports|types)\\.js$)',
        message: 'Backends implement the ports services own: import only services/**/ports.js.',
      },
      {
        regex: '^(\\.\\./)+services/.*/(ports|types)\\.js$',
        message: 'Backends take the ports as types only (import type): the services own them.',
        allowTypeImports: true,
      },
    ],
  },
  {
    files: ['src/daemon/**/*.ts'],
    ignores: ['src/daemon/compose*.ts'],
    patterns: [
      forbid(['cli', 'client'], 'The daemon does not call clients.'),
      forbid(['backends'], 'Only the composition root (daemon/compose*.ts) builds backends.', true),
    ],
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The type-aware rules the code relies on: a promise nobody awaits hides its failure.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test registers these; the runner awaits them.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
    },
  },
  ...layers.map(({ files, ignores, patterns }) => ({
    files,
    ignores: ['**/*.test.ts', ...(ignores ?? [])],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  })),
);
