// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.temporal/**',
      'data/**',
      'coverage/**',
      'test-artifacts/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      'no-console': 'error',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no IO, no clocks or randomness.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'https', 'net', 'crypto', 'child_process', 'os'],
              message: 'Workflows must not do IO.',
            },
            {
              group: [
                '**/activities/*',
                '**/integrations/*',
                '**/api/*',
                '**/sandbox/*',
                '@temporalio/client',
                '@temporalio/worker',
                'pino',
              ],
              message: 'Workflows import only contracts, domain and type-only activity modules.',
              allowTypeImports: true,
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Non-deterministic.' },
        {
          object: 'Date',
          property: 'now',
          message: 'Use workflow time (Date is patched, but be explicit via domain helpers).',
        },
      ],
    },
  },
  {
    // Activities and integrations never import workflow code.
    files: ['activities/**/*.ts', 'integrations/**/*.ts', 'api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@temporalio/workflow', '**/workflows/*', '**/workflows'],
              message: 'Import contracts, not workflow code.',
            },
          ],
        },
      ],
    },
  },
  {
    // The browser console's declarations belong to its own project (tsconfig.console.json), not to tsconfig.json.
    files: ['api/console/**/*.d.ts', 'api/docs/**/*.d.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: './tsconfig.console.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
