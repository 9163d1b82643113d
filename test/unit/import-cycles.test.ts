// No module of src/ imports itself back through others (type-only imports count: a circle of
// types is still two files that cannot be read or moved apart). Reads the sources' import lines,
// as layers.test.ts does; the layers test keeps folders in order, this one the files inside them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/repo.js';

const SRC = join(REPO_ROOT, 'src');

/** file (relative to src/) -> the src/ files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = readdirSync(SRC, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) =>
      relative(SRC, resolve(dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the path that closes it (`a -> b -> a`). */
export function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string) => {
    const at = path.indexOf(node);
    if (at >= 0) {
      found.push([...path.slice(at), node].join(' -> '));
      return;
    }
    if (done.has(node)) return;
    path.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    path.pop();
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) visit(node);
  return found;
}

describe('import cycles', () => {
  it('no file of src/ imports itself back', () => {
    assert.deepEqual(cycles(importGraph()), []);
  });

  it('the walk finds a cycle (it can fail) and reads the real imports', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    assert.deepEqual(cycles(g), ['a.ts -> b.ts -> c.ts -> a.ts']);
    assert.ok(importGraph().get('failover/scenarios.ts')?.includes('failover/fault-context.ts'));
  });
});
