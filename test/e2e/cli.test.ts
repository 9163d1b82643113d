// The built CLI (node dist/src/cli.js), run as a user runs it, in temp directories.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, hasAnsi, runCli, runCliOnTty } from '../helpers/cli.js';
import { which } from '../helpers/binaries.js';
import { CLI_PATH, REPO_ROOT } from '../helpers/repo.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { billionLaughsYaml } from '../helpers/topology.js';
import { SCENARIO_NAMES } from '../../src/failover/scenarios.js';
import { CLUSTER_SCENARIO_NAMES } from '../../src/failover/cluster-scenarios.js';
import { parse as parseYaml } from 'yaml';

let root: string;
before(async () => {
  assert.ok(existsSync(CLI_PATH), `the CLI is built at ${CLI_PATH} (run npx tsc -p .)`);
  root = await makeTempDir('redis-ha-e2e-');
});
after(() => removeDir(root));

let counter = 0;
/** A fresh, empty working directory for one test. */
async function workdir(): Promise<string> {
  const dir = join(root, `case-${++counter}`);
  await mkdir(dir);
  return dir;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const SENTINEL_FILES = [
  '.gitignore',
  '.redis-ha-manifest.json',
  'compose.yaml',
  'redis/redis-1.conf',
  'redis/redis-2.conf',
  'redis/redis-3.conf',
  'scripts/common.sh',
  'scripts/redis-health.sh',
  'scripts/redis-start.sh',
  'scripts/sentinel-health.sh',
  'scripts/sentinel-start.sh',
  'secrets/admin',
  'secrets/app',
  'secrets/exporter',
  'secrets/haproxy-stats',
  'secrets/health',
  'secrets/replica',
  'secrets/sentinel',
  'sentinel/sentinel-1.conf',
  'sentinel/sentinel-2.conf',
  'sentinel/sentinel-3.conf',
  'topology.json',
];

describe('render', () => {
  it('render sentinel writes every file into ./.redis-ha/redis-ha/ and exits 0', async () => {
    const cwd = await workdir();
    const r = await runCli(['render', 'sentinel'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const out = join(cwd, '.redis-ha', 'redis-ha');
    assert.deepEqual(await filesUnder(out), SENTINEL_FILES);
    assert.match(r.stdout, /rendered redis-ha \(preset sentinel, profile default\) into .*\.redis-ha\/redis-ha/);
    assert.deepEqual(await readdir(cwd), ['.redis-ha'], 'nothing else is written in the working directory');
  });

  it('secrets/ is mode 0700 and holds one generated secret per user; scripts are executable', async () => {
    const cwd = await workdir();
    assert.equal((await runCli(['render', 'sentinel'], { cwd })).code, 0);
    const out = join(cwd, '.redis-ha', 'redis-ha');
    assert.equal((await stat(join(out, 'secrets'))).mode & 0o777, 0o700);
    assert.match(await readFile(join(out, 'secrets/app'), 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
    assert.notEqual(await readFile(join(out, 'secrets/app'), 'utf8'), await readFile(join(out, 'secrets/admin'), 'utf8'));
    assert.equal((await stat(join(out, 'scripts/redis-start.sh'))).mode & 0o777, 0o755);
    assert.equal((await stat(join(out, 'compose.yaml'))).mode & 0o777, 0o644);
  });

  it('a second render keeps the password and reports every file unchanged', async () => {
    const cwd = await workdir();
    const env = join(cwd, '.redis-ha', 'redis-ha', 'secrets', 'admin');
    assert.equal((await runCli(['render', 'sentinel'], { cwd })).code, 0);
    const first = await readFile(env, 'utf8');
    const second = await runCli(['render', 'sentinel'], { cwd });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(await readFile(env, 'utf8'), first, 'secrets/admin is the same');
    const unchanged = second.stdout.split('\n').filter((l) => l.trim().startsWith('unchanged '));
    assert.equal(unchanged.length, SENTINEL_FILES.length - 1, second.stdout); // all but the manifest
    assert.doesNotMatch(second.stdout, /^\s+wrote /m);
    assert.doesNotMatch(second.stdout, /new secrets/);
  });

  // The bundle renders from templates compiled at build time (scripts/bundle-cli.mjs); the
  // modules the other tests import compile them at run time. Both must write the same bytes.
  for (const args of [['basic'], ['sentinel'], ['full'], ['full', '--tls'], ['sentinel', '--target', 'swarm'], ['cluster'], ['cluster', '--tls']]) {
    it(`the bundled CLI and the modules render ${args.join(' ')} byte for byte alike`, async () => {
      const cwd = await workdir();
      const r = await runCli(['render', ...args, '--out', 'out'], { cwd });
      assert.equal(r.code, 0, r.stderr);
      const out = join(cwd, 'out');
      const files = await filesUnder(out);
      const before = await Promise.all(files.map((f) => readFile(join(out, f), 'utf8')));
      // Same options, same directory: the secrets and certificates the CLI wrote are kept.
      const { render } = await import('../../src/commands/render.js');
      const [preset, ...rest] = args;
      await render({ preset, out: 'out', force: true, ...(rest.includes('--tls') ? { tls: true } : {}), ...(rest.includes('swarm') ? { target: 'swarm' } : {}) }, { cwd });
      assert.deepEqual(await filesUnder(out), files);
      for (const [i, f] of files.entries()) assert.equal(await readFile(join(out, f), 'utf8'), before[i], f);
    });
  }

  it('refuses a directory holding a foreign file: exit 2, nothing written', async () => {
    const cwd = await workdir();
    await mkdir(join(cwd, 'out'));
    await writeFile(join(cwd, 'out', 'notes.txt'), 'mine\n');
    const r = await runCli(['render', 'sentinel', '--out', 'out'], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to write into .*out: it holds files redis-ha did not create \(notes\.txt\)/);
    assert.match(r.stderr, /--force/);
    assert.deepEqual(await filesUnder(join(cwd, 'out')), ['notes.txt']);
  });

  it('--force writes beside the foreign file and keeps it', async () => {
    const cwd = await workdir();
    await mkdir(join(cwd, 'out'));
    await writeFile(join(cwd, 'out', 'notes.txt'), 'mine\n');
    const r = await runCli(['render', 'sentinel', '--out', 'out', '--force'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await filesUnder(join(cwd, 'out')), [...SENTINEL_FILES, 'notes.txt'].sort());
    assert.equal(await readFile(join(cwd, 'out', 'notes.txt'), 'utf8'), 'mine\n');
  });

  it('invalid input (--quorum 5): exit 2, the problem with its path and flag, no directory written', async () => {
    const cwd = await workdir();
    const r = await runCli(['render', 'sentinel', '--quorum', '5'], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: sentinel\.quorum \(--quorum\): quorum 5 is not between 1 and the sentinel count \(3\)$/m);
    assert.match(r.stderr, /hint: set sentinel\.quorum to 2 \(a majority of 3\)/);
    assert.match(r.stderr, /nothing was written/);
    assert.deepEqual(await readdir(cwd), []);
  });

  it('switching from full to sentinel removes the files only full generated', async () => {
    const cwd = await workdir();
    assert.equal((await runCli(['render', 'full'], { cwd })).code, 0);
    const r = await runCli(['render', 'sentinel'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /removed\s+haproxy\/haproxy\.cfg/);
    assert.deepEqual(await filesUnder(join(cwd, '.redis-ha', 'redis-ha')), SENTINEL_FILES);
  });
});

describe('validate', () => {
  it('validate --file prints every rule problem at once, each with file:line:col, exit 2', async () => {
    const cwd = await workdir();
    await writeFile(
      join(cwd, 'bad.yaml'),
      ['preset: full', 'sentinel:', '  quorum: 9', 'haproxy:', '  writePort: 7001', 'bind: 0.0.0.0', 'auth:', '  enabled: false', 'redis:', '  maxmemory: 100mb', ''].join(
        '\n',
      ),
    );
    const r = await runCli(['validate', '--file', 'bad.yaml'], { cwd });
    assert.equal(r.code, 2);
    const problems = r.stderr.split('\n').filter((l) => /^(error|warning): /.test(l));
    assert.deepEqual(problems, [
      'error: sentinel.quorum (bad.yaml:3:11): quorum 9 is not between 1 and the sentinel count (3)',
      'error: haproxy.writePort (bad.yaml:5:14): port 7001 for haproxy is already used by redis-1',
      'error: auth.enabled (bad.yaml:8:12): ports are published on 0.0.0.0 without a password: anyone who reaches them can read and write everything',
    ]);
    assert.match(r.stderr, /3 error\(s\); nothing was written/);
  });

  it('validate --file prints every schema problem at once, with "did you mean"', async () => {
    const cwd = await workdir();
    await writeFile(join(cwd, 'typo.yaml'), 'preset: sentinel\nreplcas: 3\nredis:\n  persistence: aff\n');
    const r = await runCli(['validate', '--file', 'typo.yaml'], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: replcas \(typo\.yaml:2:\d+\): unknown key "replcas"\n  hint: did you mean "replicas"\?$/m);
    assert.match(r.stderr, /^error: redis\.persistence \(typo\.yaml:4:\d+\): Invalid enum value.*\n  hint: did you mean "aof"\?$/m);
  });

  it('validate --file with a YAML syntax error names file:line:col', async () => {
    const cwd = await workdir();
    await writeFile(join(cwd, 'broken.yaml'), 'preset: basic\nreplicas: [1, 2\nname: x\n');
    const r = await runCli(['validate', '--file', 'broken.yaml'], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: \(topology\) \(broken\.yaml:3:1\): YAML syntax: /m);
  });

  it('validate sentinel --json prints one valid JSON document, exit 0', async () => {
    const cwd = await workdir();
    const r = await runCli(['validate', 'sentinel', '--json'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { valid: boolean; errors: unknown[]; warnings: unknown[]; topology: { preset: string } };
    assert.equal(doc.valid, true);
    assert.deepEqual(doc.errors, []);
    // The one warning of a preset as shipped: no maxmemory set, so the default applies.
    assert.deepEqual((doc.warnings as { path: string }[]).map((w) => w.path), ['redis.maxmemory']);
    assert.equal(doc.topology.preset, 'sentinel');
    assert.deepEqual(await readdir(cwd), [], 'validate writes nothing');
  });

  it('validate --json with errors prints JSON with the problems, exit 2', async () => {
    const cwd = await workdir();
    const r = await runCli(['validate', 'sentinel', '--quorum', '5', '--json'], { cwd });
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout) as { valid: boolean; errors: { path: string; source: string }[] };
    assert.equal(doc.valid, false);
    assert.deepEqual(
      doc.errors.map((e) => [e.path, e.source]),
      [['sentinel.quorum', '--quorum']],
    );
  });

  it('validate with warnings exits 0 and prints them', async () => {
    const cwd = await workdir();
    const r = await runCli(['validate', 'sentinel', '--sentinels', '4', '--quorum', '3'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: sentinel\.count \(--sentinels\): 4 Sentinels \(an even number\)/m);
    // ...and the default maxmemory the preset leaves unset.
    assert.match(r.stderr, /^warning: redis\.maxmemory .*no redis\.maxmemory set: each node gets 256mb/m);
    assert.match(r.stdout, /is valid: preset sentinel, .*2 warning\(s\)/);
  });
});

describe('injection attempts (issue 8): exit 2, nothing written', () => {
  // Each case: a topology file, the dot-path and message the refusal names.
  const CASES: { name: string; yaml: string[]; expect: RegExp }[] = [
    {
      name: 'extraConfig with line breaks (requirepass + replicaof smuggled in)',
      yaml: ['redis:', '  extraConfig: ["loglevel notice\\nrequirepass x\\nreplicaof evil.example 6379"]'],
      expect: /^error: redis\.extraConfig\.0 \(t\.yaml:3:17\): holds a line break/m,
    },
    {
      name: 'extraConfig user default on nopass',
      yaml: ['redis:', '  extraConfig: ["user default on nopass"]'],
      expect: /^error: redis\.extraConfig\.0 \(t\.yaml:3:17\): "user" cannot be set in extraConfig: redis-ha renders the ACL users/m,
    },
    {
      name: 'extraConfig include',
      yaml: ['redis:', '  extraConfig: ["include /etc/redis/more.conf"]'],
      expect: /^error: redis\.extraConfig\.0 .*"include" cannot be set in extraConfig: reads another file/m,
    },
    {
      name: 'extraConfig loadmodule',
      yaml: ['redis:', '  extraConfig: ["loadmodule /tmp/evil.so"]'],
      expect: /^error: redis\.extraConfig\.0 .*"loadmodule" cannot be set in extraConfig: loads native code/m,
    },
    {
      name: 'extraConfig enable-module-command yes',
      yaml: ['redis:', '  extraConfig: ["enable-module-command yes"]'],
      expect: /^error: redis\.extraConfig\.0 .*"enable-module-command" cannot be set in extraConfig/m,
    },
    {
      name: 'extraConfig quoted "replicaof"',
      yaml: ['redis:', "  extraConfig: ['\"replicaof\" evil.example 6379']"],
      expect: /^error: redis\.extraConfig\.0 .*"replicaof" cannot be set in extraConfig: the role of each node/m,
    },
    {
      name: 'extraConfig unbalanced quotes',
      yaml: ['redis:', "  extraConfig: ['notify-keyspace-events \"Ex']"],
      expect: /^error: redis\.extraConfig\.0 .*Redis cannot read this line: unbalanced quotes/m,
    },
    {
      name: 'redis.image interpolating the password',
      yaml: ['redis:', '  image: "x/redis:${REDIS_PASSWORD}"'],
      expect: /^error: redis\.image \(t\.yaml:3:10\): "x\/redis:\$\{REDIS_PASSWORD\}" is not a valid image reference: "\$" is not allowed/m,
    },
    {
      name: 'auth disabled on a non-loopback bind',
      yaml: ['bind: 0.0.0.0', 'auth:', '  enabled: false'],
      expect: /^error: auth\.enabled \(t\.yaml:4:12\): ports are published on 0\.0\.0\.0 without a password/m,
    },
  ];

  for (const { name, yaml, expect } of CASES) {
    for (const command of ['render', 'validate'] as const) {
      it(`${command}: ${name}`, async () => {
        const cwd = await workdir();
        await writeFile(join(cwd, 't.yaml'), ['preset: basic', ...yaml, ''].join('\n'));
        const r = await runCli([command, '--file', 't.yaml'], { cwd });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, expect);
        assert.match(r.stderr, /nothing was written/);
        assert.deepEqual(await readdir(cwd), ['t.yaml'], 'nothing but the topology file');
      });
    }
  }

  it('deploy refuses the injection before looking for Docker (exit 2, not 3), nothing written', async () => {
    const cwd = await workdir();
    await writeFile(join(cwd, 't.yaml'), 'preset: basic\nredis:\n  extraConfig: ["hz 10\\nreplicaof evil.example 6379"]\n');
    const r = await runCli(['deploy', '--file', 't.yaml', '--port-base', '8900'], { cwd, env: cleanEnv({ PATH: '/nonexistent' }) });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: redis\.extraConfig\.0 \(t\.yaml:3:17\): holds a line break/m);
    assert.deepEqual(await readdir(cwd), ['t.yaml']);
  });

  it('--redis-image with "$" is refused at the flag', async () => {
    const cwd = await workdir();
    const r = await runCli(['render', 'basic', '--redis-image', 'redis:${REDIS_PASSWORD}'], { cwd });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: redis\.image \(--redis-image\): "redis:\$\{REDIS_PASSWORD\}" is not a valid image reference/m);
    assert.match(r.stderr, /hint: write \[registry\[:port\]\/\]name\[:tag\]\[@digest\]/);
    assert.deepEqual(await readdir(cwd), []);
  });

  it('every injection in one file is reported in one round', async () => {
    const cwd = await workdir();
    await writeFile(
      join(cwd, 't.yaml'),
      [
        'preset: basic',
        'bind: 0.0.0.0',
        'auth:',
        '  enabled: false',
        'redis:',
        '  image: "x/redis:${REDIS_PASSWORD}"',
        '  extraConfig:',
        '    - "loglevel notice\\nrequirepass x"',
        '    - user default on nopass',
        "    - '\"replicaof\" evil.example 6379'",
        '',
      ].join('\n'),
    );
    const r = await runCli(['validate', '--file', 't.yaml'], { cwd });
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(
      r.stderr.split('\n').flatMap((l) => /^error: \S+ \([^)]*\)/.exec(l)?.[0] ?? []),
      [
        'error: redis.extraConfig.0 (t.yaml:8:7)',
        'error: redis.extraConfig.1 (t.yaml:9:7)',
        'error: redis.extraConfig.2 (t.yaml:10:7)',
        'error: redis.image (t.yaml:6:10)',
        'error: auth.enabled (t.yaml:4:12)',
      ],
    );
    assert.match(r.stderr, /5 error\(s\); nothing was written/);
  });

  it('a YAML alias bomb exits 2 at once, naming the file and the alias limit', async () => {
    const cwd = await workdir();
    await writeFile(join(cwd, 'bomb.yaml'), billionLaughsYaml());
    const r = await runCli(['render', '--file', 'bomb.yaml'], { cwd, timeoutMs: 15_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: \(topology\) \(bomb\.yaml\): YAML aliases expand past the limit of 100 alias resolutions/m);
    assert.doesNotMatch(r.stderr, /unexpected error/);
    assert.deepEqual(await readdir(cwd), ['bomb.yaml']);
  });

  it('auth disabled on loopback is valid, with a warning saying what it means (exit 0)', async () => {
    const cwd = await workdir();
    await writeFile(join(cwd, 't.yaml'), 'preset: basic\nauth:\n  enabled: false\n');
    const r = await runCli(['validate', '--file', 't.yaml'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^warning: auth\.enabled \(t\.yaml:3:12\): auth is disabled: anyone who reaches the ports on 127\.0\.0\.1 \(every local user, process and container\) can read and write everything$/m,
    );
  });
});

describe('presets', () => {
  it('presets lists the 4 presets, one line each', async () => {
    const r = await runCli(['presets'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(/\s+/)[0]),
      ['basic', 'sentinel', 'full', 'cluster'],
    );
    for (const l of lines) assert.match(l, /^\w+\s+\S.{10,}$/, `"${l}" has a description`);
  });

  it('presets --json is an array of {name, description}', async () => {
    const r = await runCli(['presets', '--json'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { name: string; description: string }[];
    assert.deepEqual(
      list.map((p) => p.name),
      ['basic', 'sentinel', 'full', 'cluster'],
    );
    for (const p of list) assert.ok(p.description.length > 10, `${p.name} has a description`);
    // The bundle answers from the descriptions it read at build time: they are the files' own.
    for (const p of list) assert.equal(p.description, parseYaml(readFileSync(join(REPO_ROOT, 'presets', `${p.name}.yaml`), 'utf8')).description, p.name);
  });
});

describe('a reader that stops reading', () => {
  it('`presets | true` (stdout closed before the command writes): no error, exit 0', () => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI_PATH}" presets | true`], { cwd: root, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
  });
});

describe('an error nothing caught (a bug)', () => {
  // Injected with --import into the real CLI once the command is done (its handlers are
  // registered after the CLI's modules load): a rejection nobody handles, an exception thrown
  // from a timer.
  for (const [origin, code, what] of [
    ['unhandledRejection', "process.once('beforeExit', () => { Promise.reject(new Error('injected: Connection is closed.')); })", 'a promise was rejected with nothing to handle it'],
    ['uncaughtException', "process.once('beforeExit', () => setTimeout(() => { throw new Error('injected: Connection is closed.'); }))", 'an exception was thrown with nothing to catch it'],
  ] as const) {
    it(`${origin}: reported as a bug with its message, the process does not die on it, exit 70`, () => {
      const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(code)}`, CLI_PATH, 'presets'], { cwd: root, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 70, r.stderr);
      assert.match(r.stdout, /^basic\s/m, 'the command itself ran');
      assert.match(r.stderr, new RegExp(`redis-ha: internal error \\(a bug in redis-ha; please report it\\): ${what}: injected: Connection is closed\\.`));
      assert.match(r.stderr, /stopping at the next safe point, as on Ctrl-C/);
      assert.doesNotMatch(r.stderr, /Node\.js v\d+/, "not Node's own crash report");
    });
  }
});

describe('command line', () => {
  it('--help exits 0 and lists the commands and exit codes', async () => {
    const r = await runCli(['--help'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    for (const command of ['render', 'validate', 'presets']) assert.match(r.stdout, new RegExp(`redis-ha ${command}`));
    assert.match(r.stdout, /Exit codes: 0 ok/);
  });

  it('--help mentions examples', async () => {
    const r = await runCli(['--help'], { cwd: root });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:/);
  });

  it('render --help exits 0 and shows examples', async () => {
    const r = await runCli(['render', '--help'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Examples:\n\s+redis-ha render sentinel/);
  });

  it('test-failover --help names every scenario of the table, each once', async () => {
    const r = await runCli(['test-failover', '--help'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    const listed = /Scenario to run \(repeatable\): (.*?) \[default/.exec(r.stdout.replace(/\s+/g, ' '))?.[1] ?? '';
    // "all, <everywhere>; on swarm also <swarm>; on a cluster (one shard each, in turn): <cluster>"
    const [replicated, cluster] = listed.split(/; on a cluster \(one shard each, in turn\): /);
    const names = (replicated ?? '').split(/[,;] (?:on \w+ also )?/);
    assert.deepEqual([...names].sort(), ['all', ...SCENARIO_NAMES].sort(), listed);
    assert.deepEqual((cluster ?? '').split(', ').sort(), [...CLUSTER_SCENARIO_NAMES].sort(), listed);
  });

  it('the commands on an existing deployment take --name and --dir; those reaching every node --target and --node-host (backup, switchover, restore, rotate-secrets: --node-host)', async () => {
    for (const command of ['status', 'cleanup', 'backup', 'restore', 'test-failover', 'switchover', 'rotate-secrets']) {
      const r = await runCli([command, '--help'], { cwd: root });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /--name +Deployment name \[default: the only one in \.\/\.redis-ha, else redis-ha\]/, command);
      assert.match(r.stdout, /--dir +Deployment directory \(instead of --name\)/, command);
      const reachesNodes = ['status', 'cleanup', 'test-failover'].includes(command);
      assert.equal(/--target +compose or swarm \[default: the deployment's own target\]/.test(r.stdout), reachesNodes, `${command} --target`);
      // backup reaches the node of the replica it copies from, switchover every Redis node's
      // (their target is the deployment's).
      assert.equal(/--node-host +Swarm: NODE=DOCKER_HOST/.test(r.stdout), reachesNodes || ['backup', 'switchover', 'restore', 'rotate-secrets'].includes(command), `${command} --node-host`);
    }
  });

  it('an unknown command exits 2 and names it', async () => {
    const cwd = await workdir();
    const r = await runCli(['frobnicate'], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown argument: frobnicate/);
    assert.deepEqual(await readdir(cwd), []);
  });

  it('deploy without a docker CLI exits 3 and says what to install (no ENOENT stack)', async () => {
    const cwd = await workdir();
    const r = await runCli(['deploy', 'basic', '--port-base', '8900'], { cwd, env: cleanEnv({ PATH: '/nonexistent' }) });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /redis-ha: docker is not installed \(not found on PATH\)\n  hint: install Docker/);
    assert.doesNotMatch(r.stderr, /ENOENT|at .*\.js/);
  });

  it('no command exits 2', async () => {
    const r = await runCli([], { cwd: root });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Name a command/);
  });

  it('an unknown flag exits 2', async () => {
    const cwd = await workdir();
    const r = await runCli(['render', 'sentinel', '--replicaz', '3'], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unknown argument/);
    assert.deepEqual(await readdir(cwd), []);
  });
});

describe('colors', () => {
  const hasScript = which('script') !== undefined;

  it('on a terminal, output is colored by default (control for the NO_COLOR test)', { skip: !hasScript && 'util-linux `script` (for a pty) is not installed' }, async () => {
    const r = await runCliOnTty(['presets'], { cwd: root, env: cleanEnv() });
    assert.equal(r.code, 0, r.rawStdout);
    assert.ok(hasAnsi(r.rawStdout), `expected ANSI escapes on a tty, got ${JSON.stringify(r.rawStdout.slice(0, 80))}`);
  });

  it('deploy with bad input on a terminal exits 2 at once (the live task list does not keep it alive)', { skip: !hasScript && 'util-linux `script` (for a pty) is not installed' }, async () => {
    const cwd = await workdir();
    const r = await runCliOnTty(['deploy', 'sentinel', '--quorum', '9'], { cwd, env: cleanEnv(), timeoutMs: 15_000 });
    assert.equal(r.code, 2, r.rawStdout);
    assert.match(r.rawStdout, /quorum 9 is not between 1 and the sentinel count/);
  });

  it('NO_COLOR=1 on a terminal: no ANSI escapes (FORCE_COLOR unset)', { skip: !hasScript && 'util-linux `script` (for a pty) is not installed' }, async () => {
    const cwd = await workdir();
    for (const args of [['presets'], ['render', 'sentinel'], ['validate', 'sentinel', '--quorum', '9']]) {
      const r = await runCliOnTty(args, { cwd, env: cleanEnv({ NO_COLOR: '1' }) });
      assert.ok(r.code === 0 || r.code === 2, `${args.join(' ')}: exit ${r.code}`);
      assert.ok(!hasAnsi(r.rawStdout), `${args.join(' ')}: ${JSON.stringify(r.rawStdout.slice(0, 120))}`);
    }
  });

  it('NO_COLOR=1 turns off colour that is on without it (same command, same terminal; stdout and stderr)', { skip: !hasScript && 'util-linux `script` (for a pty) is not installed' }, async () => {
    // validate writes its problems to stderr, render its summary to stdout; the pty merges both.
    for (const args of [['validate', 'sentinel', '--quorum', '9'], ['render', 'sentinel']]) {
      const colored = await runCliOnTty(args, { cwd: await workdir(), env: cleanEnv() });
      assert.ok(hasAnsi(colored.rawStdout), `${args.join(' ')}: control failed, no colour without NO_COLOR: ${JSON.stringify(colored.rawStdout.slice(0, 120))}`);
      const plain = await runCliOnTty(args, { cwd: await workdir(), env: cleanEnv({ NO_COLOR: '1' }) });
      assert.equal(plain.code, colored.code);
      assert.ok(!hasAnsi(plain.rawStdout), `${args.join(' ')}: ${JSON.stringify(plain.rawStdout.slice(0, 120))}`);
    }
  });
});
