// Golden files: what synthesize() computes for each preset, with fixed secrets, against
// test/golden/<preset>/ in the source tree, and with `target: swarm` against
// test/golden/swarm-<preset>/ (not cluster: compose only), and full and cluster with TLS (full-tls,
// swarm-full-tls, cluster-tls) with fixed
// stand-ins for the certificates. UPDATE_GOLDEN=1 rewrites them.
// The container scripts (scripts/*.sh) are copied verbatim from templates/scripts/, where
// shellcheck and the hermetic tests (test/unit/container-scripts.test.ts) check them: no
// golden copy; each variant emits the ones its services run, identical to the template.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { loadTopology } from '../../src/model/load.js';
import { PRESETS, type Topology } from '../../src/model/schema.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { GOLDEN_DIR, REPO_ROOT } from '../helpers/repo.js';
import { FIXED_SECRETS, fixedTlsFiles } from '../helpers/secrets.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';

const STATIC_SCRIPTS = 'scripts/';
const isStaticScript = (path: string) => path.startsWith(STATIC_SCRIPTS);

/** The scripts a deployment's containers run: every node's, and the Sentinels' and HAProxy's when there are any. */
function scriptsRun(t: Topology): string[] {
  return [
    'common.sh',
    'redis-start.sh',
    'redis-health.sh',
    ...(t.sentinel.enabled ? ['sentinel-start.sh', 'sentinel-health.sh'] : []),
    ...(t.haproxy.enabled ? ['haproxy-start.sh'] : []),
  ].sort();
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const TLS = { path: 'tls.enabled', value: true, flag: '--tls' };
const VARIANTS = [
  ...PRESETS.flatMap((preset) => [
    { preset, dirName: preset, overrides: [] as (typeof TLS)[] },
    // A cluster runs on compose only for now (the rules refuse target swarm).
    ...(preset === 'cluster' ? [] : [{ preset, dirName: `swarm-${preset}`, overrides: [{ path: 'target', value: 'swarm', flag: '--target' }] }]),
  ]),
  { preset: 'cluster' as const, dirName: 'cluster-tls', overrides: [TLS] },
  // TLS, with fixed stand-ins for the certificates (real ones are random).
  { preset: 'full' as const, dirName: 'full-tls', overrides: [TLS] },
  { preset: 'full' as const, dirName: 'swarm-full-tls', overrides: [TLS, { path: 'target', value: 'swarm', flag: '--target' }] },
];

describe('golden files', () => {
  for (const { preset, dirName, overrides } of VARIANTS) {
    it(`${dirName}: synthesize() output equals test/golden/${dirName}/, and the container scripts their templates`, async () => {
      const { topology } = await loadTopology({ preset, overrides });
      const all = synthesize(topology, FIXED_SECRETS, {}, topology.tls.enabled ? fixedTlsFiles(topology) : undefined);
      const files = new Map([...all].filter(([path]) => !isStaticScript(path)));
      const dir = join(GOLDEN_DIR, dirName);

      if (UPDATE) {
        await rm(dir, { recursive: true, force: true });
        for (const [path, content] of files) {
          await mkdir(dirname(join(dir, path)), { recursive: true });
          await writeFile(join(dir, path), content);
        }
      }

      const stored = await listFiles(dir);
      assert.deepEqual(
        [...files.keys()].sort(),
        stored,
        `the set of files differs from test/golden/${dirName}/ (run with UPDATE_GOLDEN=1 to accept the new output)`,
      );
      for (const [path, content] of files) {
        const expected = await readFile(join(dir, path), 'utf8');
        assert.equal(content, expected, `${dirName}/${path} differs from the golden file (UPDATE_GOLDEN=1 to accept)`);
      }

      const scripts = [...all.keys()].filter(isStaticScript);
      assert.deepEqual(scripts.map((p) => p.slice(STATIC_SCRIPTS.length)).sort(), scriptsRun(topology), `${dirName}: the container scripts emitted`);
      for (const path of scripts) {
        const template = await readFile(join(REPO_ROOT, 'templates', path), 'utf8');
        assert.equal(all.get(path), template, `${dirName}/${path} is not templates/${path} verbatim`);
      }
    });
  }
});
