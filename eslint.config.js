// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules on the sources,
// the tests and the bench. The type checker (tsc) runs in `npm run build`; this catches what it
// does not (unused code, suspicious constructs). `npm run lint` also shellchecks the scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // ANSI escapes are matched on purpose (stripping colours); runs of spaces in patterns that
      // match aligned tables read better as they are printed.
      'no-control-regex': 'off',
      'no-regex-spaces': 'off',
      // `_name` marks what is destructured or taken only to be left out.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
