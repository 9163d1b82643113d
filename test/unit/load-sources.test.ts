// loadTopology(): schema problems (unknown keys, enums, types, names), YAML syntax errors,
// presets, and where each problem points: `file:line:col` for a value from --file,
// `--flag` for a value from the command line, presets/<name>.yaml for a preset value.
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Problem } from '../../src/model/problems.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { billionLaughsYaml, problemsOf, writeTopologyFile } from '../helpers/topology.js';

let dir: string;
before(async () => {
  dir = await makeTempDir();
});
after(async () => {
  await removeDir(dir);
});

/** Writes `yaml` to <dir>/<name>.yaml; returns its path and the label the loader uses for it. */
async function file(name: string, yaml: string): Promise<{ path: string; label: string }> {
  const path = await writeTopologyFile(dir, yaml, `${name}.yaml`);
  // The loader names a --file by its path relative to the working directory.
  return { path, label: relative(process.cwd(), path) };
}

async function invalid(options: Parameters<typeof problemsOf>[0]): Promise<Problem[]> {
  const result = await problemsOf(options);
  assert.equal(result.valid, false, `expected the topology to be rejected, got warnings ${JSON.stringify(result.problems)}`);
  return result.problems;
}

describe('schema problems', () => {
  it('are reported together with the rule problems of the rest of the file, in one round', async () => {
    const f = await file(
      'schema-and-rules',
      'preset: sentinel\nreplcas: 3\nprofile: fast\nsentinel:\n  quorum: 5\n  failoverTimeoutMs: 1500\nredis:\n  persistence: disk\n',
    );
    const problems = await invalid({ file: f.path });
    assert.deepEqual(
      problems.map((p) => [p.path, p.source]),
      [
        ['redis.persistence', `${f.label}:8:16`],
        ['replcas', `${f.label}:2:1`],
        ['sentinel.quorum', `${f.label}:5:11`],
        ['sentinel.failoverTimeoutMs', `${f.label}:6:22`],
      ],
    );
  });

  it('leave out rule problems about a value the schema already rejected', async () => {
    const f = await file('schema-owns-path', 'preset: sentinel\nsentinel:\n  quorum: "two"\n');
    assert.deepEqual(
      (await invalid({ file: f.path })).map((p) => [p.severity, p.path]),
      [['error', 'sentinel.quorum']],
    );
  });

  it('an unknown top-level key: error with "did you mean" and the file:line:col of the key', async () => {
    const f = await file('unknown-top', 'preset: sentinel\nreplcas: 3\n');
    assert.deepEqual(await invalid({ file: f.path }), [
      {
        severity: 'error',
        path: 'replcas',
        message: 'unknown key "replcas"',
        hint: 'did you mean "replicas"?',
        source: `${f.label}:2:1`,
      },
    ]);
  });

  it('an unknown nested key: the dot-path includes the parent', async () => {
    const f = await file('unknown-nested', 'preset: sentinel\nsentinel:\n  qourum: 2\n');
    assert.deepEqual(await invalid({ file: f.path }), [
      {
        severity: 'error',
        path: 'sentinel.qourum',
        message: 'unknown key "qourum"',
        hint: 'did you mean "quorum"?',
        source: `${f.label}:3:3`,
      },
    ]);
  });

  it('an unknown key with no close match lists the allowed keys', async () => {
    const f = await file('unknown-far', 'preset: basic\nexporter:\n  zzzzzzzzzz: 1\n');
    const [problem] = await invalid({ file: f.path });
    assert.equal(problem?.hint, 'allowed keys here: enabled, image, port');
  });

  it('a wrong enum value: error with the closest value suggested', async () => {
    const f = await file('enum', 'preset: sentinel\nredis:\n  persistence: aff\n');
    assert.deepEqual(await invalid({ file: f.path }), [
      {
        severity: 'error',
        path: 'redis.persistence',
        message: "Invalid enum value. Expected 'none' | 'rdb' | 'aof', received 'aff'",
        hint: 'did you mean "aof"?',
        source: `${f.label}:3:16`,
      },
    ]);
  });

  it('a wrong type: error saying what to write', async () => {
    const f = await file('type', 'preset: basic\nreplicas: three\n');
    assert.deepEqual(await invalid({ file: f.path }), [
      {
        severity: 'error',
        path: 'replicas',
        message: 'Expected number, received string',
        hint: 'write a number',
        source: `${f.label}:2:11`,
      },
    ]);
  });

  it('a bad deployment name: error with the naming rule', async () => {
    const f = await file('name', 'preset: basic\nname: My_App\n');
    const problems = await invalid({ file: f.path });
    assert.deepEqual(
      problems.map((p) => [p.severity, p.path, p.message, p.source]),
      [['error', 'name', 'must be lowercase letters, digits, "-" or "_", starting with a letter or digit', `${f.label}:2:7`]],
    );
  });

  it('quorum 0 is rejected by the quorum rule (with its fix), pointing at the value in the file', async () => {
    const f = await file('quorum0', 'preset: sentinel\nsentinel:\n  quorum: 0\n');
    const problems = await invalid({ file: f.path });
    assert.deepEqual(
      problems.map((p) => [p.severity, p.path, p.message, p.source]),
      [['error', 'sentinel.quorum', 'quorum 0 is not between 1 and the sentinel count (3)', `${f.label}:3:11`]],
    );
  });

  it('several schema problems are reported in one round', async () => {
    const f = await file('schema-many', 'preset: basic\nreplicas: many\nredis:\n  persistence: aff\nbogus: 1\n');
    const problems = await invalid({ file: f.path });
    assert.deepEqual(problems.map((p) => p.path).sort(), ['bogus', 'redis.persistence', 'replicas']);
  });
});

describe('YAML syntax', () => {
  it('a syntax error is reported with file:line:col', async () => {
    const f = await file('syntax', 'preset: basic\nreplicas: [1, 2\nname: x\n');
    assert.deepEqual(await invalid({ file: f.path }), [
      {
        severity: 'error',
        path: '',
        source: `${f.label}:3:1`,
        message: 'YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
        hint: 'fix the YAML syntax; indentation uses spaces, not tabs',
      },
    ]);
  });

  it('tab indentation is a syntax error at its line', async () => {
    const f = await file('tab', 'preset: basic\nsentinel:\n\tcount: 3\n');
    const problems = await invalid({ file: f.path });
    assert.deepEqual(
      problems.map((p) => [p.source, p.message]),
      [[`${f.label}:3:1`, 'YAML syntax: Tabs are not allowed as indentation']],
    );
  });

  it('a YAML alias bomb ("billion laughs") is refused naming the file and the alias limit, not expanded', async () => {
    const f = await file('bomb', billionLaughsYaml());
    const started = Date.now();
    assert.deepEqual(await invalid({ file: f.path }), [
      {
        severity: 'error',
        path: '',
        source: f.label,
        message: 'YAML aliases expand past the limit of 100 alias resolutions (a "billion laughs" document)',
        hint: 'write the values out instead of nesting aliases (*name) inside aliased collections',
      },
    ]);
    assert.ok(Date.now() - started < 5000, `refused in ${Date.now() - started} ms`);
  });

  it('a few aliases within the limit still load', async () => {
    const f = await file('aliases', 'preset: basic\nx-common: &tuning ["hz 50"]\nredis:\n  extraConfig: *tuning\n');
    const problems = await invalid({ file: f.path });
    // x-common is no topology key; the point is that the alias resolved and the rest was checked.
    assert.deepEqual(
      problems.map((p) => [p.path, p.message]),
      [['x-common', 'unknown key "x-common"']],
    );
  });

  it('a missing file is reported as such', async () => {
    const problems = await invalid({ file: `${dir}/does-not-exist.yaml` });
    assert.deepEqual(
      problems.map((p) => [p.severity, p.message]),
      [['error', 'file not found']],
    );
  });
});

describe('presets', () => {
  it('no preset (neither argument nor "preset:" in the file) is an error on path preset', async () => {
    const f = await file('no-preset', 'replicas: 2\n');
    assert.deepEqual(await invalid({ file: f.path }), [
      {
        severity: 'error',
        path: 'preset',
        message: 'no preset given',
        hint: 'name one: basic, sentinel, full, cluster (as the first argument, or "preset:" in the topology file)',
      },
    ]);
  });

  it('an unknown preset argument suggests the closest one', async () => {
    assert.deepEqual(await invalid({ preset: 'sentinal' }), [
      {
        severity: 'error',
        path: 'preset',
        source: 'argument',
        message: 'unknown preset "sentinal"',
        hint: 'did you mean "sentinel"?',
      },
    ]);
  });

  it('an unknown preset in the file points at the file', async () => {
    const f = await file('bad-preset', 'preset: ful\n');
    const problems = await invalid({ file: f.path });
    assert.deepEqual(
      problems.map((p) => [p.path, p.message, p.hint, p.source]),
      [['preset', 'unknown preset "ful"', 'did you mean "full"?', `${f.label}:1:9`]],
    );
  });
});

describe('sources of rule problems', () => {
  it('a value from a flag points at the flag (--quorum)', async () => {
    const problems = await invalid({
      preset: 'sentinel',
      overrides: [{ path: 'sentinel.quorum', value: 5, flag: '--quorum' }],
    });
    assert.deepEqual(problems, [
      {
        severity: 'error',
        path: 'sentinel.quorum',
        message: 'quorum 5 is not between 1 and the sentinel count (3)',
        hint: 'set sentinel.quorum to 2 (a majority of 3)',
        source: '--quorum',
      },
    ]);
  });

  it('a flag wins over the file for the source too', async () => {
    const f = await file('flag-over-file', 'preset: sentinel\nsentinel:\n  quorum: 2\n');
    const problems = await invalid({
      file: f.path,
      overrides: [{ path: 'sentinel.quorum', value: 9, flag: '--quorum' }],
    });
    assert.deepEqual(
      problems.map((p) => [p.path, p.source]),
      [['sentinel.quorum', '--quorum']],
    );
  });

  it('a duplicate port from the file points at that value', async () => {
    const f = await file('dup-port', 'preset: full\nhaproxy:\n  writePort: 7001\n');
    assert.deepEqual(await invalid({ file: f.path }), [
      {
        severity: 'error',
        path: 'haproxy.writePort',
        message: 'port 7001 for haproxy is already used by redis-1',
        hint: 'give each published port its own number',
        source: `${f.label}:3:14`,
      },
    ]);
  });

  it('a value the preset supplied points at the preset file', async () => {
    const f = await file('preset-value', 'preset: sentinel\nreplicas: 0\n');
    const problems = await invalid({ file: f.path });
    const mrtw = problems.find((p) => p.path === 'redis.minReplicasToWrite');
    assert.equal(mrtw?.source, 'presets/sentinel.yaml:7:23');
  });

  it('profile fast with a longer downAfterMs is an error (failover timeout from the profile)', async () => {
    const f = await file('fast', 'preset: sentinel\nprofile: fast\nsentinel:\n  downAfterMs: 4000\n');
    const problems = await invalid({ file: f.path });
    assert.deepEqual(
      problems.map((p) => [p.severity, p.path, p.message]),
      [['error', 'sentinel.failoverTimeoutMs', 'failover timeout 6000 ms is too short for down-after 4000 ms']],
    );
  });

  it('extraConfig with a managed directive points at the list item', async () => {
    const f = await file('extra', 'preset: basic\nredis:\n  extraConfig:\n    - "hz 100"\n    - "maxmemory 1gb"\n');
    const problems = await invalid({ file: f.path });
    assert.deepEqual(
      problems.map((p) => [p.path, p.source]),
      [['redis.extraConfig.1', `${f.label}:5:7`]],
    );
  });

  it('a valid topology with warnings loads, and returns the warnings with sources', async () => {
    const f = await file('warn', 'preset: sentinel\nbind: 0.0.0.0\n');
    const result = await problemsOf({ file: f.path });
    assert.equal(result.valid, true);
    assert.deepEqual(result.problems, [
      {
        severity: 'warning',
        path: 'bind',
        message: 'ports are published on 0.0.0.0, reachable from other hosts',
        hint: 'bind to 127.0.0.1 unless you mean it',
        source: `${f.label}:2:7`,
      },
    ]);
  });

  it('non-loopback bind without auth: error on auth.enabled, pointing at the file', async () => {
    const f = await file('noauth', 'preset: basic\nbind: 0.0.0.0\nauth:\n  enabled: false\n');
    assert.deepEqual(
      (await invalid({ file: f.path })).map((p) => [p.severity, p.path, p.message, p.source]),
      [
        [
          'error',
          'auth.enabled',
          'ports are published on 0.0.0.0 without a password: anyone who reaches them can read and write everything',
          `${f.label}:4:12`,
        ],
      ],
    );
  });

  it('security problems point at the offending entry in the file, or at the flag', async () => {
    const f = await file(
      'security',
      [
        'preset: basic',
        'redis:',
        '  image: "x/redis:${REDIS_PASSWORD}"',
        '  extraConfig:',
        '    - hz 100',
        '    - "loglevel notice\\nrequirepass x"',
        "    - '\"replicaof\" evil.example 6379'",
        'auth:',
        '  enabled: false',
        '',
      ].join('\n'),
    );
    const fromFile = await invalid({ file: f.path });
    assert.deepEqual(
      fromFile.map((p) => [p.severity, p.path, p.source]),
      [
        ['error', 'redis.extraConfig.1', `${f.label}:6:7`],
        ['error', 'redis.extraConfig.2', `${f.label}:7:7`],
        ['error', 'redis.image', `${f.label}:3:10`],
        ['warning', 'auth.enabled', `${f.label}:9:12`],
      ],
    );
    const fromFlag = await invalid({
      preset: 'basic',
      overrides: [{ path: 'redis.image', value: 'redis:${TAG}', flag: '--redis-image' }],
    });
    assert.deepEqual(
      fromFlag.map((p) => [p.path, p.source, p.message]),
      [['redis.image', '--redis-image', '"redis:${TAG}" is not a valid image reference: "$" is not allowed: Compose would substitute a variable into the image name']],
    );
  });

  it('every problem of a file is reported at once, errors and warnings, each with its source', async () => {
    const f = await file(
      'many',
      [
        'preset: full',
        'replicas: 0',
        'sentinel:',
        '  count: 4',
        '  quorum: 5',
        'haproxy:',
        '  writePort: 7001',
        'bind: 0.0.0.0',
        'auth:',
        '  enabled: false',
        '',
      ].join('\n'),
    );
    const problems = await invalid({ file: f.path });
    assert.deepEqual(
      problems.map((p) => [p.severity, p.path, p.source]),
      [
        ['error', 'sentinel.quorum', `${f.label}:5:11`],
        ['warning', 'sentinel.count', `${f.label}:4:10`],
        ['warning', 'replicas', `${f.label}:2:11`],
        ['error', 'redis.minReplicasToWrite', 'presets/full.yaml:5:23'],
        ['error', 'replicas', `${f.label}:2:11`],
        ['error', 'haproxy.writePort', `${f.label}:7:14`],
        ['error', 'auth.enabled', `${f.label}:10:12`],
      ],
    );
  });
});
