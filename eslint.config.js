// @ts-check
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// Services talk to each other only over JetStream, through libs/contracts: importing another
// service's code would couple their deployments, so the linter refuses it.
const services = readdirSync(join(import.meta.dirname, 'services'))
const serviceImports = (except) =>
  services.filter((s) => s !== except).flatMap((s) => [`@orderflow/${s}`, `@orderflow/${s}/*`])

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tools/**', 'charts/**', '**/*.js', '**/*.mjs', '!eslint.config.js', '!load/**/*.js', '**/src/migrations/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One program for the tests (tsconfig.tests.json) and one per package for its sources.
        project: ['./tsconfig.tests.json', './libs/*/tsconfig.json', './services/*/tsconfig.json', './tools/*/tsconfig.json', './load/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // tap queues `t.test(...)` itself and reports its failures; awaiting each is optional.
        { allowForKnownSafeCalls: [{ from: 'package', name: 'test', package: '@tapjs/core' }, { from: 'package', name: 'test', package: '@tapjs/test' }] },
      ],
      // Fastify plugins and handlers are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  {
    // k6 scripts: plain JS type-checked by load/tsconfig.json, which knows k6's globals (__ENV).
    // They must parse on k6 v0.49, whose Babel 6 rejects `catch {}`: an unused `catch (_e)` stays.
    files: ['load/**/*.js'],
    rules: {
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: serviceImports(''), message: 'libs must not depend on services' }] }] },
  },
  ...services.map((s) => ({
    files: [`services/${s}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: [...serviceImports(s), '../../*/src/*', '**/services/*/src/*'], message: 'services share code only through libs/' }] }],
    },
  })),
)
