// The Compose v2 code path (`docker compose ...`), exercised on a machine that only has v1:
// a `docker` shim on PATH turns `docker compose ARGS` into `docker-compose ARGS`, so the
// argv redis-ha builds for v2 (-p, -f, --project-directory, up -d --remove-orphans, down)
// really runs. Also: two deployments side by side do not interfere. The v1 one reads the engine
// through the docker CLI (REDIS_HA_DOCKER=cli), the other suites through its API socket, so both
// read paths run against a real engine.
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { DeployResult } from '../../src/commands/deploy.js';
import { IMAGE_FLAGS, dockerSuiteSkip, forceRemoveProject, projectResources, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';

describe('compose v2 code path and side-by-side deployments', { timeout: 240_000, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-v2-');
  const shimDir = join(work.dir, 'shim');
  after(() => {
    forceRemoveProject('it-v2');
    forceRemoveProject('it-v1');
    work.remove();
  });

  function shimEnv(): NodeJS.ProcessEnv {
    const realDocker = spawnSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).stdout.trim();
    spawnSync('mkdir', ['-p', shimDir]);
    writeFileSync(
      join(shimDir, 'docker'),
      [
        '#!/bin/sh',
        'if [ "$1" = compose ]; then',
        '  shift',
        '  if [ "$1" = version ]; then echo "2.99.0-shim"; exit 0; fi',
        '  exec docker-compose "$@"',
        'fi',
        `exec ${realDocker} "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(join(shimDir, 'docker'), 0o755);
    return { PATH: `${shimDir}:${process.env.PATH}`, REDIS_HA_COMPOSE: '' };
  }

  it('deploys through `docker compose` (v2) and, beside it, through docker-compose (v1)', async (t) => {
    if (!requireDocker(t)) return;
    const v2 = await runCli(['deploy', 'basic', '--name', 'it-v2', '--port-base', '8000', '--json', ...IMAGE_FLAGS], {
      cwd: work.dir,
      env: shimEnv(),
    });
    assert.equal(v2.exitCode, 0, v2.stderr);
    assert.match((JSON.parse(v2.stdout) as DeployResult).compose, /^v2 2\.99\.0-shim$/);

    const v1 = await runCli(['deploy', 'basic', '--name', 'it-v1', '--port-base', '8050', '--json', ...IMAGE_FLAGS], {
      cwd: work.dir,
      env: { REDIS_HA_COMPOSE: 'v1', REDIS_HA_DOCKER: 'cli' },
    });
    assert.equal(v1.exitCode, 0, v1.stderr);
    assert.match((JSON.parse(v1.stdout) as DeployResult).compose, /^v1 /);

    // --keep-data: containers and network go, the data volumes stay (and the password that
    // opens them), and a later deploy picks the data up again.
    const password = readFileSync(join(work.dir, '.redis-ha', 'it-v1', 'secrets', 'admin'), 'utf8').trim();
    const writer = new Redis({ host: '127.0.0.1', port: 8051, username: 'admin', password, retryStrategy: () => null });
    writer.on('error', () => undefined);
    await writer.set('kept', 'across cleanup --keep-data');
    await writer.call('WAIT', '2', '2000');
    writer.disconnect();
    const kept = await runCli(['cleanup', '--name', 'it-v1', '--keep-data'], { cwd: work.dir, env: { REDIS_HA_DOCKER: 'cli' } });
    assert.equal(kept.exitCode, 0, kept.stderr);
    assert.deepEqual(readdirSync(join(work.dir, '.redis-ha', 'it-v1')).sort(), ['.redis-ha-manifest.json', 'secrets']);
    assert.deepEqual(projectResources('it-v1').containers, []);
    assert.equal(projectResources('it-v1').volumes.length, 3, 'the three data volumes are kept');
    const again = await runCli(['deploy', 'basic', '--name', 'it-v1', '--port-base', '8050', '--json', ...IMAGE_FLAGS], {
      cwd: work.dir,
      env: { REDIS_HA_COMPOSE: 'v1', REDIS_HA_DOCKER: 'cli' },
    });
    assert.equal(again.exitCode, 0, again.stderr);
    const reader = new Redis({ host: '127.0.0.1', port: 8051, username: 'admin', password, retryStrategy: () => null });
    reader.on('error', () => undefined);
    try {
      assert.equal(await reader.get('kept'), 'across cleanup --keep-data');
    } finally {
      reader.disconnect();
    }

    // Removing one leaves the other untouched and healthy.
    const removed = await runCli(['cleanup', '--name', 'it-v1'], { cwd: work.dir });
    assert.equal(removed.exitCode, 0, removed.stderr);
    assert.deepEqual(projectResources('it-v1'), { containers: [], networks: [], volumes: [] });
    assert.equal(projectResources('it-v2').containers.length, 3);
    const status = await runCli(['status', '--name', 'it-v2'], { cwd: work.dir });
    assert.equal(status.exitCode, 0, status.stdout + status.stderr);

    if (process.env.CI === 'true') {
      // --all removes every redis-ha deployment on the engine: only on CI's own machine, never
      // on a developer's engine where their own deployments run.
      const all = await runCli(['cleanup', '--all', '--json'], { cwd: work.dir });
      assert.equal(all.exitCode, 0, all.stderr);
      assert.ok((JSON.parse(all.stdout) as { deployment: string }[]).some((r) => r.deployment === 'it-v2'));
    } else {
      const down = await runCli(['cleanup', '--name', 'it-v2'], { cwd: work.dir, env: shimEnv() });
      assert.equal(down.exitCode, 0, down.stderr);
    }
    assert.deepEqual(projectResources('it-v2'), { containers: [], networks: [], volumes: [] });
  });
});
