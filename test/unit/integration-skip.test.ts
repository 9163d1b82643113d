// The Docker suites without an engine: skipped with the reason outside CI, FAILED under
// CI=true. Runs the compiled deploy suite with DOCKER_HOST pointing at a socket nobody
// listens on (so nothing reaches a real engine).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/repo.js';

const SUITE = join(REPO_ROOT, 'dist', 'test', 'integration', 'deploy.test.js');

function runSuite(ci: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'redis-ha-noengine-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${join(dir, 'nobody.sock')}` };
    delete env.CI;
    delete env.NODE_TEST_CONTEXT; // run as a top-level test process, not as our subtest
    if (ci) env.CI = 'true';
    const r = spawnSync(process.execPath, ['--test', SUITE], { env, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the deploy integration suite without an engine', () => {
  it('skips, with the reason, outside CI (no "t.skip is not a function")', () => {
    const r = runSuite(false);
    assert.doesNotMatch(r.out, /is not a function/);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /# fail 0/);
    assert.match(r.out, /# SKIP no Docker engine answers/);
  });

  it('fails under CI=true', () => {
    const r = runSuite(true);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /CI=true requires the Docker tests to run/);
  });
});
