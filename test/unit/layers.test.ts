// The house reads one way (../shared/STYLE.md): each folder of src/ may import only the folders
// listed for it here, so no import runs back up a layer. Reads the sources' import lines.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/repo.js';

const SRC = join(REPO_ROOT, 'src');
/** Modules at the top of src/ that every layer may use: shared vocabulary, no logic of a layer. */
// wait: the one sleep and the one retry helper (the runtime and the lab poll too). yaml: the one
// YAML writer (synth writes the compose and stack files, the runtime a staged stack file).
const SHARED = ['errors', 'labels', 'io', 'deployment', 'credentials', 'paths', 'wait', 'yaml'];

/** The shared modules may name the model's types (a Deployment has a Topology), nothing else. */
const SHARED_MAY_IMPORT = ['model'];

/** layer -> the layers it may import (besides itself and SHARED). */
// health and operations may ask synth what is rendered (drift: live vs rendered; rolling: what changed).
const ALLOWED: Record<string, string[]> = {
  model: [],
  synth: ['model'],
  files: ['model', 'synth'],
  runtime: ['model'],
  probes: ['model'],
  health: ['model', 'synth', 'probes', 'runtime'],
  operations: ['model', 'synth', 'probes', 'health', 'runtime'],
  failover: ['model', 'probes', 'health', 'runtime', 'operations'],
  lab: ['runtime'],
  report: ['model', 'probes', 'health', 'failover', 'operations'],
  commands: ['model', 'synth', 'files', 'runtime', 'probes', 'health', 'operations', 'failover', 'lab', 'report'],
  // The command line (src/cli.ts, src/cli/): the registry of commands, and errors turned into exit codes.
  cli: ['commands', 'model', 'report', 'runtime'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** `commands`, `model`, ... or `shared:<module>` / `cli` for the files at the top of src/. */
function layerOf(file: string): string {
  const rel = relative(SRC, file).replace(/\.(ts|js)$/, '');
  const [top, ...rest] = rel.split('/');
  if (rest.length) return top!;
  return SHARED.includes(top!) ? `shared:${top}` : top!;
}

function edges(): { from: string; to: string; file: string; spec: string }[] {
  const out = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
      const target = resolve(dirname(file), m[1]!);
      out.push({ from: layerOf(file), to: layerOf(target), file: relative(REPO_ROOT, file), spec: m[1]! });
    }
  }
  return out;
}

describe('layers', () => {
  it('every folder imports only the layers below it', () => {
    const wrong = edges()
      .filter(({ from, to }) => from !== to && !to.startsWith('shared:'))
      .filter(({ from, to }) => !(from.startsWith('shared:') ? SHARED_MAY_IMPORT : ALLOWED[from] ?? []).includes(to))
      .map(({ file, spec, to }) => `${file} imports ${spec} (${to})`);
    assert.deepEqual(wrong, []);
  });

  it('every folder of src/ has its place in the table', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    assert.deepEqual(folders, Object.keys(ALLOWED).sort());
  });

  it('the check sees imports (it can fail)', () => {
    const all = edges();
    assert.ok(all.some((e) => e.from === 'commands' && e.to === 'model'), 'commands import the model');
    assert.ok(all.some((e) => e.from === 'cli' && e.to === 'commands'), 'cli imports the commands');
  });
});
