// Writes examples/ci/app/package-lock.json from this repository's own lockfile: the example
// application depends on ioredis only, at the version redis-ha itself uses, so the test that
// runs the example CI jobs installs it with `npm ci --offline` from the npm cache that this
// repository's `npm ci` filled (tests reach no registry). Run after changing ioredis's version.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const appDir = join(root, 'examples', 'ci', 'app');
const packages = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;
const app = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8'));
const closure = new Set();
const queue = Object.keys(app.dependencies);
while (queue.length) {
  const name = queue.pop();
  if (closure.has(name)) continue;
  const entry = packages[`node_modules/${name}`];
  if (!entry) throw new Error(`${name} is not in package-lock.json`);
  closure.add(name);
  queue.push(...Object.keys(entry.dependencies ?? {}));
}
const lock = { name: app.name, lockfileVersion: 3, requires: true, packages: { '': { name: app.name, dependencies: app.dependencies } } };
for (const name of [...closure].sort()) {
  const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = packages[`node_modules/${name}`];
  lock.packages[`node_modules/${name}`] = entry;
}
writeFileSync(join(appDir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
