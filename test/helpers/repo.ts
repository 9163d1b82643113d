// Paths of the repository the tests run in, found from the test file itself so the
// tests work from dist/test/... as well as from the source tree.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tests: cannot find package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
/** The built CLI (compiled by `tsc -p .`). */
export const CLI_PATH = join(REPO_ROOT, 'dist', 'src', 'cli.js');
export const GOLDEN_DIR = join(REPO_ROOT, 'test', 'golden');
