// The documented CI jobs (examples/ci/github-actions.yml, examples/ci/gitlab-ci.yml) and the
// composite action (action.yml) against the schemas of the programs that read them (copies in
// test/fixtures/schemas, sources named there), and their shell against shellcheck. That they
// run green is test/integration/ci-examples.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { requireBinary } from '../helpers/binaries.js';
import { REPO_ROOT } from '../helpers/repo.js';

const schema = (name: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'schemas', name), 'utf8')) as object;
const yamlOf = (path: string) => parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as Record<string, unknown>;

function validate(schemaFile: string, doc: unknown): string[] {
  // strict off: the schemas carry editor keywords (markdownDescription) Ajv does not know.
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const check = ajv.compile(schema(schemaFile));
  return check(doc) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

type Step = { name?: string; run?: string; uses?: string; if?: string; shell?: string };

function shellcheck(script: string, label: string): void {
  const r = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: `#!/usr/bin/env bash\n${script}\n`, encoding: 'utf8' });
  assert.equal(r.status, 0, `${label}:\n${r.stdout}`);
}

describe('CI examples against their schemas', () => {
  it('examples/ci/github-actions.yml is a valid workflow: the gate writes JUnit, reports upload and cleanup run under if: always()', (t) => {
    const doc = yamlOf('examples/ci/github-actions.yml');
    assert.deepEqual(validate('github-workflow.json', doc), []);
    const steps = (doc.jobs as Record<string, { steps: Step[] }>).smoke!.steps;
    const cleanup = steps.find((s) => /redis-ha cleanup/.test(s.run ?? ''));
    assert.equal(cleanup?.if, 'always()');
    assert.equal(steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))?.if, 'always()');
    assert.match(steps.find((s) => /test-failover/.test(s.run ?? ''))!.run!, /--junit reports\/failover\.xml/);
    if (!requireBinary(t, 'shellcheck')) return;
    for (const s of steps.filter((x) => x.run)) shellcheck(s.run!, `step "${s.name}"`);
  });

  it('action.yml is a valid composite action with the env values as outputs', (t) => {
    const doc = yamlOf('action.yml');
    assert.deepEqual(validate('github-action.json', doc), []);
    const outputs = doc.outputs as Record<string, { value: string }>;
    for (const o of Object.values(outputs)) assert.match(o.value, /^\$\{\{ steps\.env\.outputs\.REDIS_[A-Z_]+ \}\}$/);
    if (!requireBinary(t, 'shellcheck')) return;
    for (const s of (doc.runs as { steps: Step[] }).steps) shellcheck(s.run!, `action step "${s.name}"`);
  });

  it('examples/ci/gitlab-ci.yml is a valid GitLab job: docker:dind, a JUnit report, cleanup in after_script', (t) => {
    const doc = yamlOf('examples/ci/gitlab-ci.yml');
    assert.deepEqual(validate('gitlab-ci.json', doc), []);
    const job = doc['redis-ha-smoke'] as { services: { name: string }[]; artifacts: { when: string; reports: { junit: string } }; script: string[]; before_script: string[]; after_script: string[] };
    assert.match(job.services[0]!.name, /^docker:.*dind$/);
    assert.equal(job.artifacts.reports.junit, 'reports/failover.xml');
    assert.equal(job.artifacts.when, 'always');
    assert.match(job.after_script.join('\n'), /redis-ha cleanup/);
    if (!requireBinary(t, 'shellcheck')) return;
    shellcheck([...job.before_script, ...job.script].join('\n'), 'gitlab job script');
  });

  it('the schema checks can fail: a workflow step with an unknown key, a job without script', () => {
    const doc = yamlOf('examples/ci/github-actions.yml');
    const broken = structuredClone(doc) as { jobs: { smoke: { steps: Record<string, unknown>[] } } };
    broken.jobs.smoke.steps[0]!.runs = 'typo';
    assert.notDeepEqual(validate('github-workflow.json', broken), []);
    assert.notDeepEqual(validate('gitlab-ci.json', { job: { image: 'node:20' } }), []);
  });
});
