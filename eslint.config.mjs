// ESLint for the TypeScript and the scripts (`npm run lint`, part of `npm test`): the
// recommended rules of ESLint and typescript-eslint; formatting is Prettier's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'test-output/**', '.cache/**', '**/.pio/**', 'test/fixtures/**', 'firmware/**', 'examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  { files: ['webview-ui/**'], languageOptions: { globals: { ...globals.browser } } },
  {
    rules: {
      // `_name` marks a value kept on purpose (a destructured field left out, a callback's unused argument)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
);
