// Support for tests against the real Docker engine: skip with a visible reason when no
// engine answers, FAIL instead when CI=true; local images (no registry on the test machines).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { IN_CI } from './binaries.js';
import { runCli as runBuiltCli } from './cli.js';

/** Images built by test/support/build-images.sh, laid out like the official ones. */
export const LOCAL_IMAGES = {
  redis: process.env.REDIS_HA_TEST_REDIS_IMAGE ?? 'redis-ha-local/redis:7.0',
  haproxy: process.env.REDIS_HA_TEST_HAPROXY_IMAGE ?? 'redis-ha-local/haproxy:2.6',
  exporter: process.env.REDIS_HA_TEST_EXPORTER_IMAGE ?? 'redis-ha-local/redis-exporter:1.45',
  prometheus: process.env.REDIS_HA_TEST_PROMETHEUS_IMAGE ?? 'redis-ha-local/prometheus:2.42',
  alertmanager: process.env.REDIS_HA_TEST_ALERTMANAGER_IMAGE ?? 'redis-ha-local/alertmanager:0.25',
};

export const IMAGE_FLAGS = [
  '--redis-image',
  LOCAL_IMAGES.redis,
  '--haproxy-image',
  LOCAL_IMAGES.haproxy,
  '--exporter-image',
  LOCAL_IMAGES.exporter,
  '--prometheus-image',
  LOCAL_IMAGES.prometheus,
  '--alertmanager-image',
  LOCAL_IMAGES.alertmanager,
];

let engineAnswers: boolean | undefined;
function engineUp(): boolean {
  engineAnswers ??= spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
  return engineAnswers;
}

const NO_ENGINE = 'no Docker engine answers (`docker info` failed); run test/support/setup-docker.sh';

/** True when the engine answers. For a suite's `before` hook: deploy only then. */
export const dockerAnswers = (): boolean => engineUp();

/** True when the engine answers; else skips the test (or fails it under CI=true). Only in a test, not in a hook. */
export function requireDocker(t: TestContext): boolean {
  if (engineUp()) return true;
  if (IN_CI) assert.fail(`${NO_ENGINE}; CI=true requires the Docker tests to run`);
  t.skip(NO_ENGINE);
  return false;
}

/**
 * The `skip` option of a describe() whose hooks need the engine: the reason when none answers
 * outside CI. Under CI=true never skips: the suite's tests then fail through requireDocker().
 * (A suite-level hook gets a SuiteContext, which has no skip().)
 */
export function dockerSuiteSkip(): string | false {
  return engineUp() || IN_CI ? false : NO_ENGINE;
}

/** Runs the built CLI (test/helpers/cli.ts) with this process's environment plus `env`. */
export async function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await runBuiltCli(args, {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    timeoutMs: options.timeoutMs ?? 180_000,
  });
  return { exitCode: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Everything Docker holds for a compose project: container, network and volume names. */
export function projectResources(project: string): { containers: string[]; networks: string[]; volumes: string[] } {
  const list = (args: string[]) =>
    (spawnSync('docker', args, { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
  const label = `label=com.docker.compose.project=${project}`;
  return {
    containers: list(['ps', '-a', '--filter', label, '--format', '{{.Names}}']),
    networks: list(['network', 'ls', '--filter', label, '--format', '{{.Name}}']),
    volumes: list(['volume', 'ls', '--filter', label, '--format', '{{.Name}}']),
  };
}

/** The ids of a project's containers (a re-created container keeps its name, not its id). */
export function projectContainerIds(project: string): string[] {
  const r = spawnSync('docker', ['ps', '-a', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter(Boolean).sort();
}

/** Last-resort removal of a project's resources (used in `after` hooks, also on failure). */
export function forceRemoveProject(project: string): void {
  const { containers, networks, volumes } = projectResources(project);
  if (containers.length) spawnSync('docker', ['rm', '-f', '-v', ...containers], { stdio: 'ignore' });
  for (const n of networks) spawnSync('docker', ['network', 'rm', n], { stdio: 'ignore' });
  if (volumes.length) spawnSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' });
}

/** A temp working directory, removed by the returned function. */
export function tempWorkdir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function containerId(project: string, service: string): string {
  const r = spawnSync(
    'docker',
    ['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`],
    { encoding: 'utf8' },
  );
  const id = r.stdout.trim().split('\n')[0];
  assert.ok(id, `no container for ${project}/${service}`);
  return id;
}

/** Each scenario's duration from a `test-failover --json` run, for a diagnostic line: where a suite's time goes. */
export const scenarioDurations = (scenarios: readonly { scenario: string; durationMs?: number }[]): string =>
  `per scenario: ${scenarios.map((s) => `${s.scenario} ${((s.durationMs ?? 0) / 1000).toFixed(1)} s`).join(', ')}`;
