// Bundles the command line (after `tsc`): dist/src/cli.js becomes one small entry, and each
// command, with the libraries it alone needs, a chunk under dist/src/bundle/chunks/ that is read
// only when that command runs (the dynamic import()s of src/commands/*-cli.ts and src/cli/).
//
// Why a bundle: on Node 20 (no module compile cache) resolving and reading the hundreds of
// files of yaml, handlebars, zod, yargs and their dependencies cost more than compiling their
// code; bundled, each of yaml and handlebars starts ~3x faster. The rest of dist/ (tsc's output)
// stays as it is: the tests import those modules.
import { cp, readdir, readFile, rm } from 'node:fs/promises';
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

/**
 * The templates, compiled at build time: the bundle carries Handlebars' runtime (a quarter of
 * it) instead of its compiler, and no command compiles a template at run time (together ~35 ms
 * of every `render` and `deploy`). src/synth/templates.ts keeps calling create(), registerHelper,
 * registerPartial and compile with the text it read from templates/; in the bundle `handlebars`
 * is this module, which hands back the template compiled from that very text. A text it does not
 * know (templates/ edited after the build) is an error naming the rebuild, never a silent fallback.
 */
const precompiledTemplates = {
  name: 'precompiled-templates',
  setup(b) {
    b.onResolve({ filter: /^handlebars$/ }, (args) =>
      args.importer.endsWith(join('synth', 'templates.ts')) ? { path: 'precompiled-templates', namespace: 'templates' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'templates' }, async () => {
      const { default: Handlebars } = await import('handlebars');
      const dir = join(root, 'templates');
      const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.hbs')).sort();
      // The options src/synth/templates.ts compiles with; a partial is compiled with the same.
      const options = { noEscape: true, strict: true };
      const entries = [];
      for (const f of files) {
        const text = await readFile(join(dir, f), 'utf8');
        entries.push(`[${JSON.stringify(text)}, ${Handlebars.precompile(text, { ...options })}]`);
      }
      return {
        contents: [
          "import runtime from 'handlebars/runtime';",
          `const compiled = new Map([${entries.join(',\n')}]);`,
          `const OPTIONS = ${JSON.stringify(options)};`,
          'function template(env, text, options) {',
          '  const spec = compiled.get(text);',
          "  if (!spec) throw new Error('a template in templates/ differs from the one this build compiled: run `npm run build`');",
          '  if (options && JSON.stringify(options) !== JSON.stringify(OPTIONS)) throw new Error(`templates are precompiled with ${JSON.stringify(OPTIONS)}, not ${JSON.stringify(options)}`);',
          '  return env.template(spec);',
          '}',
          'export default {',
          '  create() {',
          '    const env = runtime.create();',
          '    return {',
          '      registerHelper: (name, fn) => env.registerHelper(name, fn),',
          '      registerPartial: (name, text) => env.registerPartial(name, template(env, text)),',
          '      compile: (text, options) => template(env, text, options),',
          '    };',
          '  },',
          '};',
        ].join('\n'),
        resolveDir: root,
      };
    });
  },
};

/**
 * `redis-ha presets` without yaml and zod: each preset's text and description, read here
 * (src/model/preset-descriptions.ts is this module in the bundle). A preset whose file no longer
 * holds that text is parsed at run time (src/model/preset-list.ts).
 */
const presetDescriptions = {
  name: 'preset-descriptions',
  setup(b) {
    b.onResolve({ filter: /\/preset-descriptions\.js$/ }, () => ({ path: 'preset-descriptions', namespace: 'presets' }));
    b.onLoad({ filter: /.*/, namespace: 'presets' }, async () => {
      const { parse } = await import('yaml');
      const dir = join(root, 'presets');
      const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
      const entries = [];
      for (const f of files) {
        const text = await readFile(join(dir, f), 'utf8');
        entries.push([text, String(parse(text)?.description ?? '')]);
      }
      return { contents: `export const BUILT_DESCRIPTIONS = new Map(${JSON.stringify(entries)});`, resolveDir: root };
    });
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
  plugins: [lazyStringWidth, nxdomainAsItself, precompiledTemplates, presetDescriptions],
  logLevel: 'warning',
});
// yargs looks its translations up three folders above its own file: dist/src/locales.
await cp(join(root, 'node_modules', 'yargs', 'locales'), join(outdir, 'locales'), { recursive: true });
