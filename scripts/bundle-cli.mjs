// Bundles the command line (after `tsc`): dist/src/cli.js becomes one small entry, and each
// command, with the libraries it alone needs, a chunk under dist/src/bundle/chunks/ that is read
// only when that command runs (the dynamic import()s of src/commands/*-cli.ts and src/cli/).
//
// Why a bundle: on Node 20 (no module compile cache) resolving and reading the hundreds of
// files of yaml, handlebars, zod, yargs and their dependencies cost more than compiling their
// code; bundled, each of yaml and handlebars starts ~3x faster. The rest of dist/ (tsc's output)
// stays as it is: the tests import those modules.
import { cp, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'src');
const chunkDir = join(outdir, 'bundle', 'chunks');

/**
 * string-width (used by yargs, cliui and wrap-ansi to lay out the help, which yargs lays out
 * after every command it runs) builds an Intl.Segmenter when it is imported: 40-100 ms here.
 * Printable ASCII is one column a character, as string-width itself counts it; anything else
 * goes to string-width, loaded on that first call (in an esbuild bundle a require()d ES module
 * is initialised on its first require).
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      return { path: 'lazy-string-width', namespace: 'lazy', pluginData: args.resolveDir };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, async (args) => {
      const real = await b.resolve('string-width', { kind: 'require-call', resolveDir: args.pluginData, pluginData: 'real' });
      return {
        contents: [
          'let width;',
          'export default function stringWidth(text, options) {',
          "  if (typeof text === 'string' && /^[\\x20-\\x7e]*$/.test(text)) return text.length;",
          `  width ??= require(${JSON.stringify(real.path)}).default;`,
          '  return width(text, options);',
          '}',
        ].join('\n'),
        resolveDir: args.pluginData,
      };
    });
  },
};

/**
 * The lab's DNS stub (src/lab/nxdomain.ts) runs itself as a script (`node nxdomain.js`): it
 * stays tsc's own file, dist/src/lab/nxdomain.js, and the chunks import it from there.
 */
const nxdomainAsItself = {
  name: 'nxdomain-as-itself',
  setup(b) {
    b.onResolve({ filter: /\/nxdomain\.js$/ }, () => ({ path: relative(chunkDir, join(outdir, 'lab', 'nxdomain.js')), external: true }));
  },
};

await rm(join(outdir, 'bundle'), { recursive: true, force: true });
await build({
  entryPoints: { cli: join(root, 'src', 'cli.ts') },
  outdir,
  chunkNames: 'bundle/chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: true,
  legalComments: 'linked',
  // The CommonJS libraries (handlebars, ioredis, tsyringe) require() Node's modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [lazyStringWidth, nxdomainAsItself],
  logLevel: 'warning',
});
// yargs looks its translations up three folders above its own file: dist/src/locales.
await cp(join(root, 'node_modules', 'yargs', 'locales'), join(outdir, 'locales'), { recursive: true });
