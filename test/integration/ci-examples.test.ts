// The documented CI jobs, run: the shell steps of examples/ci/github-actions.yml, of
// examples/ci/gitlab-ci.yml and of the composite action (action.yml), in their order, against
// the local engine, with the package installed from `npm pack` as the jobs install it. What is
// substituted, and why:
// - the image flags (no registry here): appended to `redis-ha deploy`, or the action's `args`;
// - npm runs offline (npm_config_offline) from the cache this repository's `npm ci` filled, with a
//   prefix of the test's own for --global; the package is the packed tarball (REDIS_HA_PACKAGE);
// - `uses:` steps (checkout, setup-node, upload-artifact) are GitHub's: the checkout is a copy
//   of examples/ci/app, the application whose `npm test` uses the client module;
// - GitLab: the engine is local, not a docker:dind service (DOCKER_HOST unset, the published
//   ports on 127.0.0.1: --bind 127.0.0.1, REDIS_HA_HOST_ADDRESS=127.0.0.1), and the job image's
//   `apt-get install` of the docker CLI is left out (this machine has it; it needs Debian's mirrors).
// GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STEP_SUMMARY are files, read between steps as the runner does.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseDotenv } from '../../src/commands/env.js';
import { dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, projectResources, requireDocker, tempWorkdir } from '../helpers/docker.js';
import { REPO_ROOT } from '../helpers/repo.js';

interface StepRun {
  name: string;
  code: number;
  output: string;
}

/** Runs a script as GitHub's `bash` shell does (bash --noprofile --norc -eo pipefail). */
function runScript(script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // Its own process group: a step that hangs is ended whole (npm, node --test and its children).
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n[the step did not end within ${timeoutMs / 1000} s: killed]`;
      process.kill(-child.pid!, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

const withImages = (script: string) => script.replace(/redis-ha deploy /g, `redis-ha deploy ${IMAGE_FLAGS.join(' ')} `);

/** A runner's machine: the packed redis-ha, an npm prefix for --global, the job's files. */
function runner(work: string, job: string, tarball: string) {
  const root = join(work, job);
  const repo = join(root, 'repo');
  const prefix = join(root, 'npm-global');
  mkdirSync(prefix, { recursive: true });
  cpSync(join(REPO_ROOT, 'examples', 'ci', 'app'), repo, { recursive: true });
  const files = { GITHUB_ENV: join(root, 'github_env'), GITHUB_OUTPUT: join(root, 'github_output'), GITHUB_STEP_SUMMARY: join(root, 'step_summary.md') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  // NODE_TEST_CONTEXT: set by this test runner; the application's own `node --test` would
  // otherwise take itself for a nested run and skip its files.
  const { NODE_TEST_CONTEXT: _runner, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
    npm_config_prefix: prefix,
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    REDIS_HA_PACKAGE: tarball,
    NO_COLOR: '1',
    CI: 'true',
  };
  return { root, repo, files, env };
}

describe('the documented CI jobs run green on the local engine', { concurrency: false, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('ci-ex-');
  const names = ['ci-gh', 'ci-gl', 'ci-act'];
  let tarball = '';
  after(() => {
    for (const n of names) forceRemoveProject(n);
    work.remove();
  });

  const pack = () => {
    if (tarball) return tarball;
    const r = spawnSync('npm', ['pack', '--pack-destination', work.dir, '--silent'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    tarball = join(work.dir, r.stdout.trim().split('\n').at(-1)!);
    assert.ok(existsSync(tarball), `npm pack made ${tarball}`);
    return tarball;
  };

  it('examples/ci/github-actions.yml: deploy, env, the application tests, the failover gate with JUnit, cleanup', { timeout: 900_000 }, async (t) => {
    if (!requireDocker(t)) return;
    const m = runner(work.dir, 'github', pack());
    const doc = parse(readFileSync(join(REPO_ROOT, 'examples', 'ci', 'github-actions.yml'), 'utf8')) as { jobs: { smoke: { env: Record<string, string>; steps: { name?: string; run?: string; uses?: string; if?: string }[] } } };
    const job = doc.jobs.smoke;
    const jobEnv = { ...job.env, REDIS_HA_NAME: 'ci-gh' };
    const ran: StepRun[] = [];
    let failed = false;
    for (const step of job.steps) {
      if (!step.run) continue; // uses: GitHub's own actions (see the header)
      if (failed && step.if !== 'always()') continue;
      const exported = parseDotenv(readFileSync(m.files.GITHUB_ENV, 'utf8'));
      const r = await runScript(withImages(step.run), m.repo, { ...m.env, ...jobEnv, ...exported, ...m.files });
      ran.push({ name: step.name ?? step.run, ...r });
      if (r.code !== 0) failed = true;
    }
    const report = ran.map((s) => `--- ${s.name}: exit ${s.code}\n${s.output.slice(-3000)}`).join('\n');
    assert.deepEqual(ran.filter((s) => s.code !== 0).map((s) => s.name), [], report);
    assert.deepEqual(
      ran.map((s) => s.name),
      job.steps.filter((s) => s.run).map((s) => s.name),
      'every shell step ran, in order',
    );
    // The env step exported the client settings; the application's tests used them.
    const exported = parseDotenv(readFileSync(m.files.GITHUB_ENV, 'utf8'));
    assert.equal(exported.REDIS_HA_DEPLOYMENT, 'ci-gh');
    assert.match(ran.find((s) => s.name === 'Application tests')!.output, /# pass 1\b/);
    // The gate's JUnit: one testcase, no failure; the HTML report beside it.
    const xml = readFileSync(join(m.repo, 'reports', 'failover.xml'), 'utf8');
    assert.match(xml, /<testcase name="kill-master"/);
    assert.doesNotMatch(xml, /<failure /);
    assert.ok(existsSync(join(m.repo, 'reports', 'failover.html')));
    const summary = readFileSync(m.files.GITHUB_STEP_SUMMARY, 'utf8');
    assert.match(summary, /### ✅ redis-ha deployment `ci-gh` \(sentinel\) healthy/);
    assert.match(summary, /### ✅ redis-ha test-failover `ci-gh`/);
    assert.deepEqual(projectResources('ci-gh'), { containers: [], networks: [], volumes: [] }, 'cleanup left nothing');
  });

  it('examples/ci/gitlab-ci.yml: before_script, script and after_script in order', { timeout: 900_000 }, async (t) => {
    if (!requireDocker(t)) return;
    const m = runner(work.dir, 'gitlab', pack());
    const doc = parse(readFileSync(join(REPO_ROOT, 'examples', 'ci', 'gitlab-ci.yml'), 'utf8')) as Record<string, { variables: Record<string, string>; before_script: string[]; script: string[]; after_script: string[] }>;
    const job = doc['redis-ha-smoke']!;
    const { DOCKER_HOST: _host, DOCKER_TLS_CERTDIR: _certs, ...variables } = job.variables;
    const env = { ...m.env, ...variables, REDIS_HA_NAME: 'ci-gl', REDIS_HA_HOST_ADDRESS: '127.0.0.1' };
    const local = (line: string) => withImages(line).replace('--bind 0.0.0.0', '--bind 127.0.0.1');
    // GitLab runs before_script and script as one shell, stopping at the first failing line; after_script always.
    const main = [...job.before_script.filter((l) => !l.startsWith('apt-get')), ...job.script].map(local).join('\n');
    const r = await runScript(main, m.repo, env);
    const cleanup = await runScript(job.after_script.map(local).join('\n'), m.repo, env);
    assert.equal(r.code, 0, r.output.slice(-4000));
    assert.equal(cleanup.code, 0, cleanup.output.slice(-2000));
    assert.match(r.output, /# pass 1\b/, 'the application tests ran against the deployment');
    const xml = readFileSync(join(m.repo, 'reports', 'failover.xml'), 'utf8');
    assert.match(xml, /<testcase name="kill-master"/);
    assert.doesNotMatch(xml, /<failure /);
    assert.deepEqual(projectResources('ci-gl'), { containers: [], networks: [], volumes: [] });
  });

  it('action.yml: its steps with inputs, the outputs from the env step, then the caller\'s cleanup', { timeout: 900_000 }, async (t) => {
    if (!requireDocker(t)) return;
    const m = runner(work.dir, 'action', pack());
    const doc = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { default: string }>;
      outputs: Record<string, { value: string }>;
      runs: { steps: { name: string; id?: string; run: string; env?: Record<string, string> }[] };
    };
    const given: Record<string, string> = { package: pack(), name: 'ci-act', preset: 'sentinel', scenarios: 'kill-master', 'max-write-gap-ms': '10000', args: IMAGE_FLAGS.join(' '), junit: 'reports/action.xml' };
    const inputs = Object.fromEntries(Object.entries(doc.inputs).map(([k, v]) => [k, given[k] ?? v.default]));
    const expr = (s: string, outputs: Record<string, Record<string, string>>) =>
      s.replace(/\$\{\{\s*(inputs|steps)\.([\w-]+)(?:\.outputs\.([\w-]+))?\s*\}\}/g, (_, scope: string, a: string, b?: string) => (scope === 'inputs' ? (inputs[a] ?? '') : (outputs[a]?.[b!] ?? '')));
    const stepOutputs: Record<string, Record<string, string>> = {};
    mkdirSync(join(m.repo, 'reports'), { recursive: true });
    for (const step of doc.runs.steps) {
      writeFileSync(m.files.GITHUB_OUTPUT, '');
      const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expr(v, stepOutputs)]));
      const exported = parseDotenv(readFileSync(m.files.GITHUB_ENV, 'utf8'));
      const r = await runScript(step.run, m.repo, { ...m.env, ...exported, ...m.files, ...stepEnv });
      if (r.code !== 0) {
        await runScript('redis-ha cleanup --name ci-act', m.repo, m.env);
        assert.fail(`action step "${step.name}" exited ${r.code}:\n${r.output.slice(-4000)}`);
      }
      if (step.id) stepOutputs[step.id] = parseDotenv(readFileSync(m.files.GITHUB_OUTPUT, 'utf8'));
    }
    const outputs = Object.fromEntries(Object.entries(doc.outputs).map(([k, v]) => [k, expr(v.value, stepOutputs)]));
    assert.equal(outputs['master-name'], 'mymaster');
    assert.match(outputs.sentinels!, /^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    assert.ok(existsSync(outputs['password-file']!), 'password-file names a file');
    assert.deepEqual(readdirSync(outputs['clients-dir']!).sort(), ['env', 'ioredis.mjs', 'redis_py.py']);
    const xml = readFileSync(join(m.repo, 'reports', 'action.xml'), 'utf8');
    assert.match(xml, /<testcase name="kill-master"/);
    assert.doesNotMatch(xml, /<failure /);
    const cleanup = await runScript('redis-ha cleanup --name ci-act', m.repo, m.env);
    assert.equal(cleanup.code, 0, cleanup.output);
    assert.deepEqual(projectResources('ci-act'), { containers: [], networks: [], volumes: [] });
  });
});
