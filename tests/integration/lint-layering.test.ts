/**
 * The linter enforces the layering (eslint.config.js): each case is a one-line file linted as if it sat in the
 * given folder, through ESLint's own API with the project's config.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../harness/skiff-process.js';

// The files linted here do not exist, so they have no type information: the type-aware rules are off for them.
const eslint = new ESLint({
  cwd: REPO_ROOT,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': 'off',
    },
  },
});

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = x;\n`, { filePath });
  const fatal = result?.messages.find((m) => m.fatal);
  if (fatal) throw new Error(`eslint could not lint ${filePath}: ${fatal.message}`);
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

const cases: Array<[file: string, code: string, refused: boolean]> = [
  ['src/cli/commands/x.ts', "import { x } from '../../services/instances/instances.js';", true],
  ['src/cli/commands/x.ts', "import { x } from '../../backends/qemu/args.js';", true],
  ['src/cli/commands/x.ts', "import { x } from '../../client/daemon-client.js';", false],
  ['src/core/x.ts', "import { x } from '../services/catalog/query.js';", true],
  ['src/api/x.ts', "import { x } from '../daemon/server.js';", true],
  ['src/services/vault/x.ts', "import { x } from '../../backends/http/downloader.js';", true],
  ['src/services/vault/x.ts', "import type { x } from '../../backends/http/downloader.js';", false],
  ['src/services/vault/x.ts', "import { x } from '../../daemon/server.js';", true],
  ['src/backends/http/x.ts', "import { x } from '../../services/vault/vault.js';", true],
  ['src/backends/http/x.ts', "import type { x } from '../../services/vault/ports.js';", false],
  ['src/backends/http/x.ts', "import { x } from '../../services/vault/ports.js';", true],
  ['src/daemon/routes/x.ts', "import { x } from '../../backends/qemu/backend.js';", true],
  ['src/daemon/compose-x.ts', "import { x } from '../backends/qemu/backend.js';", false],
  ['src/daemon/routes/x.ts', "import { x } from '../services.js';", false],
];

for (const [file, code, refused] of cases) {
  test(`${refused ? 'refused' : 'allowed'}: ${file}: ${code}`, async () => {
    const messages = await restricted(file, code.replace(/\{ x \}/, '{ x }'));
    if (refused)
      assert.equal(messages.length, 1, `expected a layering error, got ${JSON.stringify(messages)}`);
    else assert.deepEqual(messages, []);
  });
}
