// The Swarm stack file of every preset read by the tools that read it: `docker stack config`
// (the docker CLI's own loader and schema; no engine needed, and none is asked: DOCKER_HOST
// points nowhere) and the compose-spec JSON schema that Debian's docker-compose package ships.
// Missing tools skip their test with the reason, unless CI=true, where they fail it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { loadTopology } from '../../src/model/load.js';
import { PRESETS } from '../../src/model/schema.js';
import { STACK_FILE, synthesize } from '../../src/synth/synthesize.js';
import { IN_CI, requireBinary, run } from '../helpers/binaries.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

/** Installed by Debian's docker-compose package; read in place, never copied into this repository. */
const COMPOSE_SPEC = '/usr/lib/python3/dist-packages/compose/config/compose_spec.json';

/**
 * A validator for the compose spec as docker-compose ships it: a draft 2019-09 schema that still
 * uses draft-04 `id` annotations and compose's own formats. Durations are checked; the `ports`,
 * `expose` and subnet formats apply only to the short string syntax, which the stack file does
 * not use (test/unit/stack.test.ts asserts long-syntax ports).
 */
function composeSpecValidator(t: TestContext) {
  if (!existsSync(COMPOSE_SPEC)) {
    const reason = `${COMPOSE_SPEC} is missing (Debian package docker-compose)`;
    if (IN_CI) assert.fail(`${reason}; CI=true requires it`);
    t.skip(reason);
    return undefined;
  }
  const { $schema: _metaSchema, ...schema } = JSON.parse(readFileSync(COMPOSE_SPEC, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.removeKeyword('id');
  ajv.addKeyword('id');
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
  return ajv.compile(schema);
}

// A cluster runs on compose only for now (the rules refuse target swarm): no stack file.
for (const preset of PRESETS.filter((p) => p !== 'cluster')) {
  describe(`stack.yaml of the ${preset} preset`, () => {
    let dir: string;
    let stackText: string;
    before(async () => {
      dir = await makeTempDir('redis-ha-stack-');
      const { topology } = await loadTopology({ preset, overrides: [{ path: 'target', value: 'swarm', flag: '--target' }] });
      const files = synthesize(topology, FIXED_SECRETS);
      for (const [path, content] of files) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), content);
      }
      stackText = files.get(STACK_FILE)!;
    });
    after(() => removeDir(dir));

    it('docker stack config accepts it, without an engine, and resolves every config file', (t) => {
      if (!requireBinary(t, 'docker')) return;
      const r = run('docker', ['stack', 'config', '-c', STACK_FILE], {
        cwd: dir,
        env: { ...process.env, DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}`, DOCKER_CONTEXT: '' },
      });
      assert.equal(r.status, 0, `docker stack config failed:\n${r.stdout}${r.stderr}`);
      const resolved = parse(r.stdout) as { services: Record<string, { deploy?: { endpoint_mode?: string } }>; configs: Record<string, { file: string }> };
      const ours = parse(stackText) as { services: Record<string, unknown>; configs: Record<string, unknown> };
      assert.deepEqual(Object.keys(resolved.services).sort(), Object.keys(ours.services).sort());
      for (const [name, s] of Object.entries(resolved.services)) assert.equal(s.deploy?.endpoint_mode, 'dnsrr', name);
      for (const [key, config] of Object.entries(resolved.configs)) {
        assert.ok(existsSync(config.file), `config ${key}: ${config.file} exists`);
      }
    });

    it('the compose-spec JSON schema accepts it', (t) => {
      const validate = composeSpecValidator(t);
      if (!validate) return;
      assert.ok(validate(parse(stackText)), `compose_spec.json rejects stack.yaml:\n${JSON.stringify(validate.errors, null, 2)}`);
    });

    it('the compose-spec JSON schema rejects it with one misspelt deploy key (the check can fail)', (t) => {
      const validate = composeSpecValidator(t);
      if (!validate) return;
      const broken = parse(stackText) as { services: Record<string, { deploy: Record<string, unknown> }> };
      const first = Object.values(broken.services)[0]!;
      first.deploy.endpoint_mod = first.deploy.endpoint_mode;
      delete first.deploy.endpoint_mode;
      assert.equal(validate(broken), false);
      assert.ok(validate.errors?.some((e) => e.params && (e.params as { additionalProperty?: string }).additionalProperty === 'endpoint_mod'));
    });
  });
}
