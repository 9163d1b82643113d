// A command loads only what it uses (../shared/STYLE.md): what the command line imports
// statically, before it knows the command, pulls in no library. The libraries come with the
// command's own module, through import() (src/commands/*-cli.ts). Reads the sources' import lines.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/repo.js';

const SRC = join(REPO_ROOT, 'src');

/** Static, value (not `import type`) imports: relative files and packages. */
function staticImports(file: string): { files: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8');
  const files: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
    if (m[2]) continue;
    const spec = m[3]!;
    if (spec.startsWith('.')) files.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
    else if (!spec.startsWith('node:')) packages.push(spec);
  }
  return { files, packages };
}

/** Every package reached from `entry` by static imports, with the file that imports it. */
function packagesReached(entry: string): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const { files, packages } = staticImports(file);
    for (const p of packages) found.push(`${p} (${relative(REPO_ROOT, file)})`);
    files.forEach(walk);
  };
  walk(entry);
  return found;
}

describe('what the command line loads before it knows the command', () => {
  it('src/cli.ts (the entry) reaches no library but chalk (colors, for the report of an internal error)', () => {
    assert.deepEqual(packagesReached(join(SRC, 'cli.ts')).filter((p) => !p.startsWith('chalk ')), []);
  });

  it('the registry reaches yargs and no other library', () => {
    assert.deepEqual(
      packagesReached(join(SRC, 'cli', 'registry.ts')).filter((p) => !p.startsWith('yargs ')),
      [],
    );
  });

  it("each command's yargs definition reaches no library (its command is loaded by import())", () => {
    const definitions = readdirSync(join(SRC, 'commands')).filter((f) => f.endsWith('-cli.ts'));
    assert.ok(definitions.length >= 12, definitions.join(', '));
    for (const f of definitions) assert.deepEqual(packagesReached(join(SRC, 'commands', f)), [], f);
  });

  it('`presets` reaches no library but chalk: no yaml, no zod (the bundle knows the descriptions)', () => {
    assert.deepEqual(packagesReached(join(SRC, 'commands', 'presets.ts')).filter((p) => !p.startsWith('chalk ')), []);
  });

  it('the check sees imports (it can fail)', () => {
    assert.ok(packagesReached(join(SRC, 'commands', 'render.ts')).some((p) => p.startsWith('handlebars ')));
    assert.ok(!packagesReached(join(SRC, 'commands', 'render.ts')).some((p) => p.startsWith('@peculiar/x509 ')), 'x509 only with TLS, by import()');
    assert.ok(!packagesReached(join(SRC, 'commands', 'render.ts')).some((p) => p.startsWith('execa ')), 'execa only when a process runs');
  });
});
