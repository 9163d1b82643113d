// The real redis-server agrees with the model's reading of extraConfig: every tricky line of
// the shared table is split by Redis exactly as splitConfigLine() splits it (or refused by
// both), every disguised replicaof really is replicaof to Redis (so refusing it matters),
// every directive the refusal table names is one Redis knows (no typo in the table), and a
// rendered redis.conf with accepted extraConfig entries loads. Then docker-compose reads a
// "$" in compose.yaml as the literal it is. Redis listens only on a unix socket in a temp dir.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { parseConfigLine, splitConfigLine } from '../../src/model/redis-config-line.js';
import { REFUSED_REDIS_DIRECTIVES, REFUSED_REDIS_PREFIXES } from '../../src/model/redis-directives.js';
import { renderRedisConfig } from '../../src/synth/configs.js';
import { aclHashes } from '../../src/synth/secrets.js';
import { COMPOSE_FILE, synthesize } from '../../src/synth/synthesize.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { requireBinary, run, startBackground, waitFor } from '../helpers/binaries.js';
import { CONFIG_LINE_CASES, DISGUISED_REPLICAOF } from '../helpers/redis-config-lines.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

let root: string;
before(async () => {
  root = await makeTempDir('redis-ha-config-lines-');
});
after(() => removeDir(root));

let counter = 0;

interface Started {
  /** Redis refused the config: its FATAL output. */
  refused?: string;
  configGet: (name: string) => string[];
}

/**
 * Starts redis-server with `lines` after a base config that keeps it off TCP and the disk,
 * and stops it when the test ends. Returns when it answers PING or has exited.
 */
async function startRedis(t: TestContext, lines: string[], base = true, admin?: string): Promise<Started> {
  const dir = join(root, `redis-${++counter}`);
  await run('mkdir', ['-p', dir]);
  const socket = join(dir, 'redis.sock');
  const head = base ? ['port 0', 'save ""', 'appendonly no', `dir ${dir}`] : [];
  const conf = join(dir, 'redis.conf');
  await writeFile(conf, [...head, ...lines, `unixsocket ${socket}`, 'unixsocketperm 700', ''].join('\n'));
  const server = startBackground('redis-server', [conf, '--daemonize', 'no'], { cwd: dir });
  t.after(() => server.stop());
  // admin: the password of the ACL user admin, when `lines` turn the default user off.
  const login = admin ? ['--user', 'admin', '--no-auth-warning'] : [];
  const env = admin ? { ...process.env, REDISCLI_AUTH: admin } : process.env;
  const cli = (...args: string[]) => run('redis-cli', ['-s', socket, '--raw', ...login, ...args], { timeoutMs: 5000, env });
  const up = await waitFor(() => server.exited() || cli('PING').stdout.trim() === 'PONG', 10_000);
  assert.ok(up, `redis-server neither answered nor exited:\n${server.output()}`);
  if (server.exited()) return { refused: server.output(), configGet: () => [] };
  return {
    configGet: (name) => {
      // --raw: name and value on a line each; values here hold no line break.
      const out = cli('CONFIG', 'GET', name).stdout;
      return out === '' ? [] : out.replace(/\n$/, '').split('\n');
    },
  };
}

describe('redis-server splits config lines as splitConfigLine() does', () => {
  for (const { line, value, why } of CONFIG_LINE_CASES) {
    it(`${why}: ${JSON.stringify(line)}`, async (t) => {
      if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-cli')) return;
      const ours = splitConfigLine(line);
      const redis = await startRedis(t, [line]);
      if (value === undefined) {
        assert.equal(ours, undefined);
        assert.match(redis.refused ?? '(redis-server started)', /Unbalanced quotes in configuration line/);
      } else {
        assert.deepEqual(ours, ['masteruser', value]);
        assert.equal(redis.refused, undefined, redis.refused);
        assert.deepEqual(redis.configGet('masteruser'), ['masteruser', value]);
      }
    });
  }
});

describe('redis-server reads every disguised replicaof as replicaof', () => {
  for (const line of DISGUISED_REPLICAOF) {
    it(JSON.stringify(line), async (t) => {
      if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-cli')) return;
      const parsed = parseConfigLine(line);
      assert.equal(parsed.kind === 'directive' && parsed.directive, 'replicaof');
      const redis = await startRedis(t, [line]);
      assert.equal(redis.refused, undefined, redis.refused);
      assert.deepEqual(redis.configGet('replicaof'), ['replicaof', '127.0.0.1 1']);
    });
  }
});

describe('every directive the refusal table names is one Redis knows', () => {
  // Directives that are no CONFIG parameter: a line Redis accepts, or refuses for a reason
  // other than "Bad directive" (which is what it says about a name it does not know).
  const NOT_CONFIG: Record<string, { line: string; expect: RegExp }> = {
    user: { line: 'user alice off', expect: /^$/ },
    include: { line: 'include /nonexistent/redis-ha-test.conf', expect: /can't open config file/ },
    'rename-command': { line: 'rename-command nosuchcommand x', expect: /No such command in rename-command/ },
    loadmodule: { line: 'loadmodule /nonexistent/redis-ha-test.so', expect: /Module \/nonexistent\/redis-ha-test\.so failed to load/ },
    sentinel: { line: 'sentinel monitor m 127.0.0.1 1 1', expect: /sentinel directive while not in sentinel mode/ },
  };

  it('config parameters: CONFIG GET knows each name, and each prefix family', async (t) => {
    if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-cli')) return;
    const redis = await startRedis(t, []);
    assert.equal(redis.refused, undefined, redis.refused);
    const unknown = Object.keys(REFUSED_REDIS_DIRECTIVES).filter(
      (name) => !(name in NOT_CONFIG) && redis.configGet(name)[0] !== name,
    );
    assert.deepEqual(unknown, [], 'names CONFIG GET does not know');
    for (const prefix of Object.keys(REFUSED_REDIS_PREFIXES)) {
      assert.ok(redis.configGet(`${prefix}*`).length > 0, `Redis has ${prefix}* parameters`);
    }
  });

  for (const [name, { line, expect }] of Object.entries(NOT_CONFIG)) {
    it(`${name} (no CONFIG parameter): ${line}`, async (t) => {
      if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-cli')) return;
      assert.ok(name in REFUSED_REDIS_DIRECTIVES);
      const redis = await startRedis(t, [line]);
      const output = redis.refused ?? '';
      assert.doesNotMatch(output, /Bad directive/);
      assert.match(output, expect);
    });
  }

  it('control: a name Redis does not know is "Bad directive" (so the checks above can fail)', async (t) => {
    if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-cli')) return;
    const redis = await startRedis(t, ['frobnicate yes']);
    assert.match(redis.refused ?? '(redis-server started)', /Bad directive or wrong number of arguments/);
  });
});

describe('a rendered redis.conf with accepted extraConfig entries', () => {
  it('loads in redis-server, each entry read as written', async (t) => {
    if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-cli')) return;
    const extraConfig = ['hz 50', '  notify-keyspace-events "Ex"', "Latency-Tracking 'no'", '# a comment', ''];
    const topology = topologyOf('basic', { redis: { extraConfig } });
    // With the ACL users of an auth deployment (the default), as the containers get it.
    const rendered = renderRedisConfig(topology, 'redis-2', aclHashes(FIXED_SECRETS))
      .split('\n')
      // Off TCP and the disk: the rendered port, dir and replicaof are for the container.
      .filter((l) => !/^(port|bind|dir|replicaof|replica-announce-ip) /.test(l));
    const redis = await startRedis(t, rendered, true, FIXED_SECRETS.admin);
    assert.equal(redis.refused, undefined, redis.refused);
    assert.deepEqual(redis.configGet('hz'), ['hz', '50']);
    assert.deepEqual(redis.configGet('notify-keyspace-events'), ['notify-keyspace-events', 'xE']);
    assert.deepEqual(redis.configGet('latency-tracking'), ['latency-tracking', 'no']);
  });
});

describe('docker-compose and "$"', () => {
  it('a "$" in compose.yaml reaches Compose as a literal, never as a variable from a .env', async (t) => {
    if (!requireBinary(t, 'docker-compose')) return;
    // topologyOf() skips the rules, as a future field without its own rule would.
    const topology = topologyOf('basic', { redis: { image: 'x/redis:${REDIS_PASSWORD}' } });
    const files = synthesize(topology, FIXED_SECRETS);
    const dir = join(root, `compose-${++counter}`);
    await run('mkdir', ['-p', dir]);
    // redis-ha writes no .env any more (secrets are files), but Compose still reads one that
    // an operator put in the directory, and the shell's environment.
    await writeFile(join(dir, '.env'), 'REDIS_PASSWORD=do-not-leak-4d1f\n');
    const config = (compose: string) => {
      const path = join(dir, COMPOSE_FILE);
      return writeFile(path, compose).then(() =>
        run('docker-compose', ['-f', COMPOSE_FILE, '-p', 'redis-ha-model-test', 'config'], { cwd: dir }),
      );
    };
    const escaped = await config(files.get(COMPOSE_FILE)!);
    assert.equal(escaped.status, 0, escaped.stderr);
    const images = (out: string) => [...new Set(out.split('\n').filter((l) => l.trim().startsWith('image:')).map((l) => l.trim()))];
    // Compose prints the literal back escaped, as it would need it again.
    assert.deepEqual(images(escaped.stdout), ['image: x/redis:$${REDIS_PASSWORD}']);
    // Control: unescaped, Compose substitutes the password (what the escape prevents).
    const raw = await config(files.get(COMPOSE_FILE)!.replaceAll('$$', '$'));
    assert.deepEqual(images(raw.stdout), ['image: x/redis:do-not-leak-4d1f']);
  });
});
