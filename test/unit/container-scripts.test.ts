// The shell scripts that run in the containers (templates/scripts/), run here under the
// shells of both official images (busybox sh: redis:7.4-alpine; dash: the Debian-based
// redis:7.4) with a fake redis-cli and a fake docker-entrypoint.sh on PATH
// (test/fixtures/container-scripts/), in temp dirs instead of /usr/local/etc/redis-ha, /data
// and /run/secrets. Plus shellcheck on every script.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { existsSync, readdirSync } from 'node:fs';
import { IN_CI, requireBinary, run, startBackground, waitFor, which } from '../helpers/binaries.js';
import { REPO_ROOT } from '../helpers/repo.js';

const SCRIPTS_DIR = join(REPO_ROOT, 'templates', 'scripts');
const FAKES_DIR = join(REPO_ROOT, 'test', 'fixtures', 'container-scripts');

/** A reply of the fake redis-cli: the text redis-cli prints, or 'hang' (never answers). */
type Reply = string | 'hang';
/** host ('local' = the node itself) -> command word -> reply. A host not listed is down. */
type Replies = Record<string, Record<string, Reply>>;

const addr = (host: string, port = 6379): Reply => `${host}\n${port}\n`;
// What redis-cli --raw prints for an error reply (and it exits 0).
const NOAUTH: Reply = 'NOAUTH Authentication required.\n\n';
const NIL: Reply = '\n';

interface Case {
  script: Script;
  env: Record<string, string>;
  replies?: Replies;
  /** Files in the config dir (redis.conf / sentinel.conf) and the data dir, by name. */
  conf?: Record<string, string>;
  data?: Record<string, string>;
  /** Secret files (/run/secrets/<user>) by user; none: a deployment without auth. */
  secrets?: Record<string, string>;
  /** Names in the secrets dir that are directories (a secret that exists but cannot be read as a file). */
  dirsInSecrets?: string[];
  /** Files in the config dir whose text depends on the data dir's path. */
  confFromDataDir?: Record<string, (dataDir: string) => string>;
  /** Kill the script (and whatever it left running) after this long. */
  timeoutMs?: number;
  /** What the fake getent / nslookup resolve: name -> IPv4 address. */
  hosts?: Record<string, string>;
}

interface Result {
  code: number | null;
  timedOut: boolean;
  ms: number;
  out: string;
  calls: string[];
  /** The whole argv of every redis-cli call (what `ps` and `docker top` would show). */
  argv: string[];
  /** The argv the fake docker-entrypoint.sh got, or undefined if it was not exec'd. */
  entrypoint?: string[];
  data: (name: string) => Promise<string | undefined>;
  dataDir: string;
}

const SHELLS: { name: string; argv: string[]; binary: string }[] = [
  { name: 'busybox sh', argv: ['busybox', 'sh'], binary: 'busybox' },
  { name: 'dash', argv: ['dash'], binary: 'dash' },
];

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'redis-ha-scripts-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let caseNo = 0;
async function runCase(shell: string[], c: Case): Promise<Result> {
  const dir = join(root, `case-${++caseNo}`);
  const confDir = join(dir, 'conf');
  const dataDir = join(dir, 'data');
  const fakeDir = join(dir, 'fake');
  const secretsDir = join(dir, 'secrets');
  await mkdir(dataDir, { recursive: true });
  await mkdir(secretsDir, { recursive: true });
  for (const [user, secret] of Object.entries(c.secrets ?? {})) await writeFile(join(secretsDir, user), secret);
  for (const name of c.dirsInSecrets ?? []) await mkdir(join(secretsDir, name));
  await mkdir(fakeDir, { recursive: true });
  await cp(SCRIPTS_DIR, join(confDir, 'scripts'), { recursive: true });
  for (const [name, text] of Object.entries(c.conf ?? {})) {
    await mkdir(dirname(join(confDir, name)), { recursive: true });
    await writeFile(join(confDir, name), text);
  }
  for (const [name, text] of Object.entries(c.data ?? {})) await writeFile(join(dataDir, name), text);
  for (const [name, render] of Object.entries(c.confFromDataDir ?? {})) {
    await mkdir(dirname(join(confDir, name)), { recursive: true });
    await writeFile(join(confDir, name), render(dataDir));
  }
  for (const [host, commands] of Object.entries(c.replies ?? {})) {
    await mkdir(join(fakeDir, host), { recursive: true });
    for (const [command, reply] of Object.entries(commands)) {
      if (reply === 'hang') await writeFile(join(fakeDir, host, `${command}.hang`), '');
      else await writeFile(join(fakeDir, host, command), reply);
    }
  }
  if (c.hosts) await writeFile(join(fakeDir, 'hosts'), Object.entries(c.hosts).map(([name, ip]) => `${name} ${ip}\n`).join(''));
  await writeFile(join(fakeDir, 'calls'), '');
  await writeFile(join(fakeDir, 'argv'), '');

  const env = {
    PATH: `${FAKES_DIR}:${process.env.PATH}`,
    FAKE_REDIS_DIR: fakeDir,
    REDIS_HA_CONF_DIR: confDir,
    REDIS_HA_DATA_DIR: dataDir,
    REDIS_HA_SECRETS_DIR: secretsDir,
    ...c.env,
  };
  const started = Date.now();
  // detached: its own process group, so a timeout can end the script and its background
  // children (the attach loop) together.
  const child = spawn(shell[0]!, [...shell.slice(1), join(confDir, 'scripts', c.script)], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, c.timeoutMs ?? 10_000);
  // 'close' waits for every holder of stdout/stderr, background children included.
  const code = await new Promise<number | null>((resolve) => {
    let exitCode: number | null = null;
    child.on('exit', (code) => (exitCode = code));
    child.on('close', () => resolve(exitCode));
  });
  clearTimeout(timer);
  const ms = Date.now() - started;
  const calls = (await readFile(join(fakeDir, 'calls'), 'utf8')).split('\n').filter(Boolean);
  const argv = (await readFile(join(fakeDir, 'argv'), 'utf8')).split('\n').filter(Boolean);
  const entrypointFile = join(fakeDir, 'entrypoint');
  const entrypoint = existsSync(entrypointFile)
    ? (await readFile(entrypointFile, 'utf8')).split('\n').slice(0, -1)
    : undefined;
  const data = async (name: string) => readFile(join(dataDir, name), 'utf8').catch(() => undefined);
  return { code, timedOut, ms, out, calls, argv, entrypoint, data, dataDir };
}

/** The lines of a config that set the role or a password. */
const roleLines = (conf: string | undefined) =>
  (conf ?? '').split('\n').filter((l) => /^(replicaof|slaveof) /.test(l));

const REDIS_CONF = '# rendered\nport 6379\ndir /data\n';
const REDIS_CONF_REPLICA = `${REDIS_CONF}replicaof redis-1 6379\n`;
const SENTINEL_CONF = [
  'port 26379',
  'sentinel monitor mymaster redis-1 6379 2',
  'sentinel known-replica mymaster redis-2 6379',
  'sentinel known-replica mymaster redis-3 6379',
  '',
].join('\n');
// redis-3 restarting; three Sentinels in the deployment.
const REDIS_ENV = {
  NODE_NAME: 'redis-3',
  MASTER_NAME: 'mymaster',
  SENTINELS: 'sentinel-1 sentinel-2 sentinel-3',
  SENTINEL_COUNT: '3',
};
/** Where sentinel-1's rendered config is mounted (the directory of every Sentinel's). */
const SENTINEL_RENDERED = 'sentinel/sentinel-1.conf';
// A first start waits for the rendered master and replicas (SENTINEL_CONF's nodes) to answer.
const NODES_ANSWER = { 'redis-1': { PING: 'PONG' }, 'redis-2': { PING: 'PONG' }, 'redis-3': { PING: 'PONG' } };
// sentinel-1 restarting: SENTINELS names only its peers, the deployment has three.
const SENTINEL_ENV = {
  NODE_NAME: 'sentinel-1',
  MASTER_NAME: 'mymaster',
  SENTINELS: 'sentinel-2 sentinel-3',
  SENTINEL_COUNT: '3',
};
// The secret files compose mounts (a trailing newline, as redis-ha writes them).
const SECRETS = { admin: 'admin-pw\n', replica: 'replica-pw\n', sentinel: 'sentinel-pw\n', health: 'health-pw\n' };
/** The user and password a call of the fake redis-cli was made with, as it records them. */
const as = (user: string) => (user ? `user=${user} auth=${user}-pw` : 'user= auth=');
// A password as a user might supply it: spaces, both quotes, a #, backslashes.
const NASTY_PASSWORD = `p a"s's #1 \\x41\\`;

type Script = 'redis-start.sh' | 'sentinel-start.sh' | 'redis-health.sh' | 'sentinel-health.sh';
/** What each script finds when a test says nothing else: redis-3 or sentinel-1 restarting, rendered as above, every secret mounted. */
const FIXTURES: Record<Script, Omit<Case, 'script'>> = {
  'redis-start.sh': { env: REDIS_ENV, secrets: SECRETS, conf: { 'redis.conf': REDIS_CONF_REPLICA } },
  'sentinel-start.sh': { env: SENTINEL_ENV, secrets: SECRETS, conf: { [SENTINEL_RENDERED]: SENTINEL_CONF } },
  'redis-health.sh': { env: {}, secrets: SECRETS },
  'sentinel-health.sh': { env: { MASTER_NAME: 'mymaster' }, secrets: SECRETS },
};
/** The case of one test: the script's fixture with what the test changes. */
const fixture = (script: Script, changes: Partial<Omit<Case, 'script'>> = {}): Case => ({ script, ...FIXTURES[script], ...changes });

describe('container scripts: shellcheck', () => {
  it('finds nothing in any script of templates/scripts/', (t: TestContext) => {
    if (!which('shellcheck')) {
      // Visible reason outside CI; in CI (setup-docker.sh installs it) a missing one fails.
      if (IN_CI) assert.fail('shellcheck is not installed; CI=true requires it (apt-get install shellcheck)');
      t.skip('shellcheck is not installed (apt-get install shellcheck)');
      return;
    }
    const scripts = readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith('.sh'));
    assert.ok(scripts.length >= 5, `expected the container scripts in ${SCRIPTS_DIR}`);
    // -x follows `. common.sh` (source-path=SCRIPTDIR in the scripts); every severity counts.
    const r = run('shellcheck', ['-x', '--severity=style', ...scripts.map((s) => join(SCRIPTS_DIR, s))]);
    assert.equal(r.status, 0, `shellcheck findings:\n${r.stdout}${r.stderr}`);
  });
});

for (const shell of SHELLS) {
  describe(`container scripts under ${shell.name}`, () => {
    const ready = (t: TestContext) => requireBinary(t, shell.binary);
    const go = (script: Script, changes?: Partial<Omit<Case, 'script'>>) => runCase(shell.argv, fixture(script, changes));

    describe('redis-start.sh', () => {
      it('follows a majority of the Sentinels (2 of 3; the third does not answer in time)', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          data: { 'redis.conf': REDIS_CONF_REPLICA },
          replies: {
            'sentinel-1': { SENTINEL: addr('redis-2') },
            'sentinel-2': { SENTINEL: 'hang' },
            'sentinel-3': { SENTINEL: addr('redis-2') },
          },
        });
        assert.equal(r.timedOut, false, r.out);
        assert.ok(r.ms < 6000, `took ${r.ms} ms: the hanging Sentinel must cost at most 2 s`);
        assert.deepEqual(roleLines(await r.data('redis.conf')), ['replicaof redis-2 6379'], r.out);
        assert.match(r.out, /redis-2 as master/);
        assert.equal(r.entrypoint?.[0], 'redis-server');
        assert.match(r.entrypoint?.[1] ?? '', /\/data\/redis\.conf$/, 'Redis runs from the live copy');
      });

      it('becomes master when a majority names this node', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          data: { 'redis.conf': REDIS_CONF_REPLICA },
          replies: { 'sentinel-1': { SENTINEL: addr('redis-3') }, 'sentinel-2': { SENTINEL: addr('redis-3') } },
        });
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(roleLines(await r.data('redis.conf')), [], r.out);
      });

      it('keeps its last role when only one Sentinel of three answers, and logs what it saw', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          data: { 'redis.conf': REDIS_CONF_REPLICA },
          replies: { 'sentinel-2': { SENTINEL: addr('redis-2') } },
        });
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(roleLines(await r.data('redis.conf')), ['replicaof redis-1 6379'], r.out);
        assert.match(r.out, /no majority/i);
        assert.match(r.out, /sentinel-2: redis-2 6379/);
        assert.match(r.out, /sentinel-1: no answer/);
      });

      it('keeps its last role on a 1-vs-1 split (not resolved by host name)', async (t) => {
        if (!ready(t)) return;
        // Last role: master. Either split answer would make it a replica.
        const r = await go('redis-start.sh', {
          data: { 'redis.conf': REDIS_CONF },
          replies: { 'sentinel-1': { SENTINEL: addr('redis-1') }, 'sentinel-3': { SENTINEL: addr('redis-2') } },
        });
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(roleLines(await r.data('redis.conf')), [], r.out);
        assert.match(r.out, /no majority/i);
        assert.match(r.out, /sentinel-1: redis-1 6379/);
        assert.match(r.out, /sentinel-3: redis-2 6379/);
      });

      it('keeps its last role when no Sentinel answers', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          data: { 'redis.conf': `${REDIS_CONF}slaveof redis-2 6379\n` },
        });
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(roleLines(await r.data('redis.conf')), ['slaveof redis-2 6379'], r.out);
        assert.match(r.out, /keeping the last role \(slaveof redis-2 6379\)/);
      });

      it('takes no error reply (NOAUTH) for an answer', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          data: { 'redis.conf': REDIS_CONF_REPLICA },
          replies: {
            'sentinel-1': { SENTINEL: NOAUTH },
            'sentinel-2': { SENTINEL: NOAUTH },
            'sentinel-3': { SENTINEL: NIL },
          },
        });
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(roleLines(await r.data('redis.conf')), ['replicaof redis-1 6379'], r.out);
        assert.match(r.out, /sentinel-1 replied: NOAUTH Authentication required\.; sentinel-2 replied: NOAUTH/);
      });

      it('quotes masterauth (from the replica secret) in the live config the way Redis parses it', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          secrets: { ...SECRETS, replica: `${NASTY_PASSWORD}\n` },
          conf: { 'redis.conf': REDIS_CONF },
          data: { 'redis.conf': REDIS_CONF },
        });
        assert.equal(r.code, 0, r.out);
        const live = (await r.data('redis.conf')) ?? '';
        const quoted = `"p a\\"s's #1 \\\\x41\\\\"`;
        assert.ok(live.includes(`\nmasterauth ${quoted}\n`), live);
        // Users are the rendered ACL lines (hashes only): no requirepass, no other password.
        assert.ok(!/^requirepass /m.test(live), live);
        assert.ok(!live.includes('admin-pw') && !live.includes('health-pw'), live);
      });

      it('without secret files (auth disabled) writes no masterauth and calls redis-cli without a user', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          secrets: {},
          data: { 'redis.conf': REDIS_CONF_REPLICA },
          replies: { 'sentinel-1': { SENTINEL: addr('redis-2') }, 'sentinel-2': { SENTINEL: addr('redis-2') } },
        });
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(roleLines(await r.data('redis.conf')), ['replicaof redis-2 6379'], r.out);
        assert.ok(!/^masterauth /m.test((await r.data('redis.conf')) ?? ''));
        assert.equal(r.calls.length, 3, r.calls.join('\n'));
        assert.ok(r.calls.every((c) => c.endsWith(` ${as('')}`)), r.calls.join('\n'));
      });

      it('asks the Sentinels as the user health, the password only in REDISCLI_AUTH (never in argv)', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          data: { 'redis.conf': REDIS_CONF },
          replies: { 'sentinel-1': { SENTINEL: addr('redis-2') }, 'sentinel-3': { SENTINEL: addr('redis-2') } },
        });
        assert.equal(r.code, 0, r.out);
        // All asked at once: in any order.
        assert.deepEqual(
          [...r.calls].sort(),
          ['sentinel-1', 'sentinel-2', 'sentinel-3'].map((h) => `${h} SENTINEL get-master-addr-by-name mymaster ${as('health')}`),
        );
        for (const secret of Object.values(SECRETS)) {
          assert.ok(!r.argv.some((a) => a.includes(secret.trim())), `a secret on a command line: ${r.argv.join('\n')}`);
        }
      });

      for (const [label, secret] of [['empty', ''], ['a directory, not a file', undefined]] as const) {
        it(`refuses to start when a mounted secret is unreadable (${label}), naming the file`, async (t) => {
          if (!ready(t)) return;
          const r = await go('redis-start.sh', {
            secrets: secret === undefined ? { admin: SECRETS.admin, health: SECRETS.health } : { ...SECRETS, replica: secret },
            conf: { 'redis.conf': REDIS_CONF },
            data: { 'redis.conf': REDIS_CONF },
            // The unreadable case: /run/secrets/replica exists, but cat cannot read it.
            dirsInSecrets: secret === undefined ? ['replica'] : [],
          });
          assert.notEqual(r.code, 0, r.out);
          assert.match(r.out, /cannot read the secret .*secrets\/replica/);
          assert.equal(r.entrypoint, undefined, 'Redis is not started');
          assert.equal(r.calls.length, 0, 'nothing asked with a missing password');
        });
      }

      it('writes a live config from which real Redis and Sentinel take the passwords', async (t) => {
        if (!ready(t) || !requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-sentinel')) return;
        // An ACL user to log in as, as the rendered configs have (the default user off).
        const users = 'user default off\nuser admin on >admin-pw ~* &* +@all\n';
        const servers = [
          { script: 'redis-start.sh' as const, conf: 'redis.conf', live: 'redis.conf', binary: 'redis-server', extra: '', secret: 'replica' },
          // The rendered monitor line names a port nobody uses: only the config parse matters here.
          { script: 'sentinel-start.sh' as const, conf: SENTINEL_RENDERED, live: 'sentinel.conf', binary: 'redis-sentinel',
            extra: 'sentinel monitor mymaster 127.0.0.1 11999 2\n', secret: 'sentinel' },
        ];
        for (const s of servers) {
          // No TCP port: the server listens on a unix socket in the case's own data dir.
          const r = await go(s.script, {
            secrets: { ...SECRETS, [s.secret]: `${NASTY_PASSWORD}\n` },
            conf: {}, // written from the data dir instead, below
            confFromDataDir: { [s.conf]: (dir) => `port 0\nunixsocket ${dir}/server.sock\ndir ${dir}\n${users}${s.extra}` },
            // A first start: the Sentinel waits for the rendered master to answer.
            replies: { '127.0.0.1': { PING: 'PONG' } },
          });
          assert.equal(r.code, 0, r.out);
          const sock = join(r.dataDir, 'server.sock');
          const server = startBackground(s.binary, [join(r.dataDir, s.live)]);
          t.after(() => server.stop());
          assert.ok(await waitFor(() => existsSync(sock), 5000), `${s.binary} did not start:\n${server.output()}`);
          const cli = (...args: string[]) =>
            run('redis-cli', ['-s', sock, '--user', 'admin', '--no-auth-warning', ...args], { env: { ...process.env, REDISCLI_AUTH: 'admin-pw' } }).stdout;
          assert.equal(cli('PING'), 'PONG\n', `${s.binary} refused the admin user of its live config`);
          const [name, value] = s.binary === 'redis-server' ? ['masterauth', cli('CONFIG', 'GET', 'masterauth')]
            : ['sentinel-pass', cli('SENTINEL', 'CONFIG', 'GET', 'sentinel-pass')];
          assert.equal(value, `${name}\n${NASTY_PASSWORD}\n`);
          await server.stop();
        }
      });

      it('on a first start attaches to the rendered master with REPLICAOF', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          replies: {
            local: { PING: 'PONG\n', REPLICAOF: 'OK\n', CONFIG: 'OK\n' },
            'redis-1': { PING: 'PONG\n' },
          },
        });
        assert.equal(r.timedOut, false, r.out);
        assert.deepEqual(roleLines(await r.data('redis.conf')), [], 'attaches by command, not by config');
        // PING as health; REPLICAOF and CONFIG REWRITE as admin (health may not).
        assert.ok(r.calls.includes(`local PING ${as('health')}`), r.calls.join('\n'));
        assert.ok(r.calls.includes(`redis-1 PING ${as('health')}`), r.calls.join('\n'));
        assert.ok(r.calls.includes(`local REPLICAOF redis-1 6379 ${as('admin')}`), r.calls.join('\n'));
        assert.ok(r.calls.includes(`local CONFIG REWRITE ${as('admin')}`), r.calls.join('\n'));
        assert.equal(await r.data('.redis-ha-attaching'), undefined, 'the marker goes once attached');
      });

      it('gives up waiting for an unreachable master within its bound, says why, and leaves Redis to retry', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          env: { ...REDIS_ENV, REDIS_HA_ATTACH_TIMEOUT_S: '1' },
          replies: { local: { PING: 'PONG\n', REPLICAOF: 'OK\n', CONFIG: 'OK\n' } },
          timeoutMs: 8000,
        });
        assert.equal(r.timedOut, false, `the attach loop never gave up:\n${r.out}`);
        assert.match(r.out, /redis-1 6379 did not answer .*1 s/);
        // A replica of its master now (Redis reconnects by itself), so the healthcheck
        // reports master_link_status:down instead of the node passing as an empty master.
        assert.ok(r.calls.some((c) => c.startsWith('local REPLICAOF redis-1 6379 ')), r.calls.join('\n'));
        assert.equal(await r.data('.redis-ha-attaching'), undefined);
      });

      it('gives up when its own Redis never answers, and stays unhealthy', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          env: { ...REDIS_ENV, REDIS_HA_ATTACH_TIMEOUT_S: '1' },
          timeoutMs: 8000,
        });
        assert.equal(r.timedOut, false, `the attach loop never gave up:\n${r.out}`);
        assert.match(r.out, /this node did not answer/);
        assert.equal((await r.data('.redis-ha-attaching'))?.split('\n')[0], 'redis-1 6379', 'the marker stays');
        assert.ok(!r.calls.some((c) => c.startsWith('local REPLICAOF')), r.calls.join('\n'));
      });
    });

    describe('redis-start.sh on a cluster node', () => {
      const CLUSTER_CONF = `${REDIS_CONF}cluster-enabled yes\ncluster-config-file nodes.conf\ncluster-announce-hostname redis-3\n`;
      const CLUSTER_ENV = { NODE_NAME: 'redis-3', MASTER_NAME: 'mymaster', SENTINELS: '', SENTINEL_COUNT: '0', REDIS_HA_REMEET_TIMEOUT_S: '2' };
      // redis-3's view after a restart: redis-2 known at 10.0.0.2, where it no longer is; redis-1 and redis-4 fine.
      const NODES = [
        'id3 10.0.0.3:6379@16379,redis-3 myself,master - 0 0 3 connected 10923-16383',
        'id1 10.0.0.1:6379@16379,redis-1 master - 0 1 1 connected 0-5460',
        'id2 10.0.0.2:6379@16379,redis-2 master,fail? - 0 1 2 disconnected 5461-10922',
        'id5 :0@0,redis-5 slave,noaddr id2 0 1 2 disconnected',
        'id4 10.0.0.4:6379@16379,redis-4 slave id1 0 1 1 connected',
        '',
      ].join('\n');
      const cluster = (changes: Partial<Omit<Case, 'script'>>) =>
        go('redis-start.sh', { env: CLUSTER_ENV, conf: { 'redis.conf': CLUSTER_CONF }, timeoutMs: 8000, ...changes });

      it('first start: no role line, no Sentinel asked, nothing met (redis-ha creates the cluster)', async (t) => {
        if (!ready(t)) return;
        const r = await cluster({ replies: { local: { PING: 'PONG\n' } } });
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /cluster node; shard and role as the cluster last recorded them/);
        assert.deepEqual(roleLines(await r.data('redis.conf')), []);
        assert.deepEqual(r.calls.filter((c) => / CLUSTER /.test(c)), []);
        assert.equal(r.entrypoint?.[0], 'redis-server');
      });

      it('restarted with nodes.conf: meets each peer it sees disconnected where its name resolves now, as admin, then stops', async (t) => {
        if (!ready(t)) return;
        const r = await cluster({
          data: { 'nodes.conf': NODES },
          replies: { local: { PING: 'PONG\n', CLUSTER: NODES } },
          hosts: { 'redis-1': '10.0.0.1', 'redis-2': '10.0.0.9', 'redis-5': '10.0.0.5' },
        });
        assert.equal(r.timedOut, false, `the loop did not end at its deadline:\n${r.out}`);
        const meets = [...new Set(r.calls.filter((c) => c.startsWith('local CLUSTER MEET')))];
        assert.deepEqual(meets.sort(), [`local CLUSTER MEET 10.0.0.5 6379 16379 ${as('admin')}`, `local CLUSTER MEET 10.0.0.9 6379 16379 ${as('admin')}`]);
        assert.match(r.out, /redis-2 is at 10\.0\.0\.9 now \(known at 10\.0\.0\.2\): CLUSTER MEET/);
        assert.match(r.out, /redis-5 is at 10\.0\.0\.5 now \(known at no address\)/);
        assert.equal(r.calls.some((c) => / MEET 10\.0\.0\.1 /.test(c)), false, 'a connected peer is left alone');
      });

      it('a peer whose name does not resolve (its container is down) is not met anywhere', async (t) => {
        if (!ready(t)) return;
        const r = await cluster({ data: { 'nodes.conf': NODES }, replies: { local: { PING: 'PONG\n', CLUSTER: NODES } }, hosts: {} });
        assert.equal(r.timedOut, false, r.out);
        assert.deepEqual(r.calls.filter((c) => / MEET /.test(c)), []);
      });

      it('every peer connected: two looks a second apart, no meet', async (t) => {
        if (!ready(t)) return;
        const whole = NODES.split('\n').filter((l) => !/redis-[25]/.test(l)).join('\n');
        const r = await cluster({ env: { ...CLUSTER_ENV, REDIS_HA_REMEET_TIMEOUT_S: '5' }, data: { 'nodes.conf': whole }, replies: { local: { PING: 'PONG\n', CLUSTER: whole } } });
        assert.equal(r.calls.filter((c) => c.startsWith('local CLUSTER NODES')).length, 2, r.calls.join('\n'));
        assert.ok(r.ms < 4000, `ended after ${r.ms} ms, before its 5 s deadline`);
        assert.deepEqual(r.calls.filter((c) => / MEET /.test(c)), []);
      });

      it('resolve_ipv4 reads busybox nslookup where the image has no getent', async (t) => {
        if (!ready(t)) return;
        // busybox sh runs its own nslookup applet whatever PATH says: the fake (busybox's output) is read under dash.
        if (shell.binary === 'busybox') return t.skip('busybox sh runs its nslookup applet, not the fake; checked under dash');
        // A PATH with the shell tools and the fake nslookup only: no getent.
        const bin = await mkdtemp(join(root, 'bin-'));
        for (const tool of ['awk', 'cat', 'sed']) await symlink(which(tool)!, join(bin, tool));
        await symlink(join(FAKES_DIR, 'nslookup'), join(bin, 'nslookup'));
        const fake = await mkdtemp(join(root, 'fake-'));
        await writeFile(join(fake, 'hosts'), 'redis-2 10.0.0.9\n');
        const resolve = (name: string) =>
          run(which(shell.binary)!, [...shell.argv.slice(1), '-c', `. ${join(SCRIPTS_DIR, 'common.sh')}; command -v getent || resolve_ipv4 ${name}`], { env: { PATH: bin, FAKE_REDIS_DIR: fake } });
        assert.equal(resolve('redis-2').stdout, '10.0.0.9\n');
        assert.equal(resolve('redis-7').stdout, '');
      });
    });

    describe('sentinel-start.sh', () => {
      const monitorLine = (conf: string | undefined) =>
        (conf ?? '').split('\n').find((l) => l.startsWith('sentinel monitor '));

      it('monitors the master both peers name (2 of 3 Sentinels with itself)', async (t) => {
        if (!ready(t)) return;
        const r = await go('sentinel-start.sh', {
          data: { 'sentinel.conf': SENTINEL_CONF },
          replies: { 'sentinel-2': { SENTINEL: addr('redis-2') }, 'sentinel-3': { SENTINEL: addr('redis-2') } },
        });
        assert.equal(r.code, 0, r.out);
        const live = await r.data('sentinel.conf');
        assert.equal(monitorLine(live), 'sentinel monitor mymaster redis-2 6379 2', live);
        assert.deepEqual(r.entrypoint?.slice(-1), ['--sentinel']);
      });

      it('keeps its votes (current-epoch, leader-epoch) across the restart; the config epoch only with the master it belongs to', async (t) => {
        if (!ready(t)) return;
        // It voted in epoch 21 and learnt redis-3 at config epoch 21; its peers now name redis-1.
        const state = [
          'port 26379',
          'sentinel monitor mymaster redis-3 6379 2',
          'sentinel config-epoch mymaster 21',
          'sentinel leader-epoch mymaster 21',
          'sentinel known-replica mymaster redis-1 6379',
          'sentinel current-epoch 21',
          '',
        ].join('\n');
        const moved = await go('sentinel-start.sh', {
          data: { 'sentinel.conf': state },
          replies: { 'sentinel-2': { SENTINEL: addr('redis-1') }, 'sentinel-3': { SENTINEL: addr('redis-1') } },
        });
        assert.equal(moved.code, 0, moved.out);
        const live = ((await moved.data('sentinel.conf')) ?? '').split('\n');
        assert.equal(monitorLine(live.join('\n')), 'sentinel monitor mymaster redis-1 6379 2');
        assert.ok(live.includes('sentinel current-epoch 21'), live.join('\n'));
        assert.ok(live.includes('sentinel leader-epoch mymaster 21'), live.join('\n'));
        assert.ok(!live.some((l) => l.startsWith('sentinel config-epoch ')), 'epoch 21 belongs to redis-3, not to redis-1');
        assert.ok(!live.some((l) => l.startsWith('sentinel known-replica ')));

        const same = await go('sentinel-start.sh', {
          data: { 'sentinel.conf': state },
          replies: { 'sentinel-2': { SENTINEL: addr('redis-3') }, 'sentinel-3': { SENTINEL: addr('redis-3') } },
        });
        assert.equal(same.code, 0, same.out);
        const kept = ((await same.data('sentinel.conf')) ?? '').split('\n');
        assert.ok(kept.includes('sentinel config-epoch mymaster 21'), kept.join('\n'));
        assert.ok(kept.includes('sentinel current-epoch 21') && kept.includes('sentinel leader-epoch mymaster 21'));
      });

      it('keeps its last state when one peer of three Sentinels answers', async (t) => {
        if (!ready(t)) return;
        const r = await go('sentinel-start.sh', {
          data: { 'sentinel.conf': SENTINEL_CONF },
          replies: { 'sentinel-2': { SENTINEL: addr('redis-2') } },
        });
        assert.equal(r.code, 0, r.out);
        assert.equal(monitorLine(await r.data('sentinel.conf')), 'sentinel monitor mymaster redis-1 6379 2', r.out);
        assert.match(r.out, /no majority/i);
        assert.match(r.out, /sentinel-2: redis-2 6379; sentinel-3: no answer/);
      });

      it('keeps its last state on a split between its peers', async (t) => {
        if (!ready(t)) return;
        const r = await go('sentinel-start.sh', {
          data: { 'sentinel.conf': SENTINEL_CONF },
          replies: { 'sentinel-2': { SENTINEL: addr('redis-3') }, 'sentinel-3': { SENTINEL: addr('redis-2') } },
        });
        assert.equal(r.code, 0, r.out);
        assert.equal(monitorLine(await r.data('sentinel.conf')), 'sentinel monitor mymaster redis-1 6379 2', r.out);
      });

      it('with no majority keeps only what it learnt (master, epochs, replicas), never old settings or removed peers', async (t) => {
        if (!ready(t)) return;
        // Rendered now: the fast profile, quorum 2, two peers (a third one was removed).
        const rendered = [
          'port 26379',
          'sentinel myid aaaa',
          'sentinel monitor mymaster redis-1 6379 2',
          'sentinel down-after-milliseconds mymaster 1000',
          'sentinel failover-timeout mymaster 6000',
          'sentinel parallel-syncs mymaster 1',
          'sentinel known-replica mymaster redis-2 6379',
          'sentinel known-sentinel mymaster sentinel-2 26379 bbbb',
          'sentinel known-sentinel mymaster sentinel-3 26379 cccc',
          '',
        ].join('\n');
        // Its own state, as Sentinel 7.0 rewrote it: old settings, a failover learnt (redis-2
        // is master, epoch 3), a peer that has since been removed (sentinel-4).
        const state = [
          'port 26379',
          'sentinel myid aaaa',
          'sentinel monitor mymaster redis-2 6379 3',
          'sentinel down-after-milliseconds mymaster 5000',
          'sentinel failover-timeout mymaster 30000',
          'sentinel parallel-syncs mymaster 2',
          'sentinel auth-pass mymaster old',
          'sentinel config-epoch mymaster 3',
          'sentinel leader-epoch mymaster 3',
          'sentinel known-replica mymaster redis-1 6379',
          'sentinel known-replica mymaster redis-3 6379',
          'sentinel known-sentinel mymaster sentinel-2 26379 bbbb',
          'sentinel known-sentinel mymaster sentinel-4 26379 dddd',
          'sentinel current-epoch 3',
          '',
        ].join('\n');
        const r = await go('sentinel-start.sh', {
          conf: { [SENTINEL_RENDERED]: rendered },
          data: { 'sentinel.conf': state },
          replies: { 'sentinel-2': { SENTINEL: addr('redis-2') } },
        });
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /no majority.*keeping what this Sentinel learnt \(master redis-2 6379/);
        const live = ((await r.data('sentinel.conf')) ?? '').split('\n');
        const sentinelLines = live.filter((l) => l.startsWith('sentinel ')).sort();
        assert.deepEqual(sentinelLines, [
          `sentinel auth-pass mymaster "sentinel-pw"`,
          'sentinel config-epoch mymaster 3',
          'sentinel current-epoch 3',
          'sentinel down-after-milliseconds mymaster 1000',
          'sentinel failover-timeout mymaster 6000',
          'sentinel known-replica mymaster redis-1 6379',
          'sentinel known-replica mymaster redis-3 6379',
          'sentinel known-sentinel mymaster sentinel-2 26379 bbbb',
          'sentinel known-sentinel mymaster sentinel-3 26379 cccc',
          'sentinel leader-epoch mymaster 3',
          'sentinel monitor mymaster redis-2 6379 2',
          'sentinel myid aaaa',
          'sentinel parallel-syncs mymaster 1',
          `sentinel sentinel-pass "sentinel-pw"`,
        ]);
      });

      it('with no majority and a state that names no master, starts from the rendered one', async (t) => {
        if (!ready(t)) return;
        const r = await go('sentinel-start.sh', {
          data: { 'sentinel.conf': 'port 26379\n' },
          replies: NODES_ANSWER,
        });
        assert.equal(r.code, 0, r.out);
        assert.equal(monitorLine(await r.data('sentinel.conf')), 'sentinel monitor mymaster redis-1 6379 2', r.out);
      });

      it('a first start waits until the rendered master and replicas answer PING (all containers start at once), bounded', async (t) => {
        if (!ready(t)) return;
        const up = await go('sentinel-start.sh', { replies: NODES_ANSWER });
        assert.equal(up.code, 0, up.out);
        for (const node of ['redis-1', 'redis-2', 'redis-3']) {
          assert.ok(up.calls.some((c) => c.startsWith(`${node} PING `) && c.endsWith(` ${as('health')}`)), up.calls.join('\n'));
        }
        assert.doesNotMatch(up.out, /did not answer/);
        // A replica that never answers: started anyway, within the same limit, saying which.
        const noReplica = await go('sentinel-start.sh', { env: { ...SENTINEL_ENV, REDIS_HA_MASTER_WAIT_S: '1' }, replies: { 'redis-1': { PING: 'PONG' }, 'redis-2': { PING: 'PONG' } } });
        assert.equal(noReplica.code, 0, noReplica.out);
        assert.match(noReplica.out, /the rendered replica redis-3 did not answer PING within 1 s; starting anyway/);
        assert.doesNotMatch(noReplica.out, /redis-[12] did not answer/);
        // The master never answers: it starts anyway once the limit has passed.
        const down = await go('sentinel-start.sh', { env: { ...SENTINEL_ENV, REDIS_HA_MASTER_WAIT_S: '1' } });
        assert.equal(down.code, 0, down.out);
        assert.match(down.out, /the rendered master redis-1 did not answer PING within 1 s; starting anyway/);
        assert.deepEqual(down.entrypoint?.slice(-1), ['--sentinel']);
        // A restart (a state that names a master) never waits for it.
        const restart = await go('sentinel-start.sh', { data: { 'sentinel.conf': SENTINEL_CONF } });
        assert.equal(restart.code, 0, restart.out);
        assert.ok(!restart.calls.some((c) => /^redis-\d PING/.test(c)), restart.calls.join('\n'));
      });

      it('keeps its last state on no answer or an error reply, with the users of now and quoted auth lines', async (t) => {
        if (!ready(t)) return;
        // Rendered: the users of now (hashes) and who this Sentinel is; the last state holds
        // an older user line and Sentinel's own unquoted rewrite of the passwords.
        const rendered = `${SENTINEL_CONF}user default off\nuser sentinel on #newhash -@all +ping\nsentinel auth-user mymaster sentinel\nsentinel sentinel-user sentinel\n`;
        const r = await go('sentinel-start.sh', {
          secrets: { ...SECRETS, sentinel: `${NASTY_PASSWORD}\n` },
          conf: { [SENTINEL_RENDERED]: rendered },
          data: {
            'sentinel.conf': `${SENTINEL_CONF}user sentinel on #oldhash -@all\nsentinel auth-user mymaster sentinel\nsentinel auth-pass mymaster old\nsentinel sentinel-pass old\n`,
          },
          replies: { 'sentinel-2': { SENTINEL: NOAUTH } },
        });
        assert.equal(r.code, 0, r.out);
        const live = (await r.data('sentinel.conf')) ?? '';
        assert.equal(monitorLine(live), 'sentinel monitor mymaster redis-1 6379 2', r.out);
        const quoted = `"p a\\"s's #1 \\\\x41\\\\"`;
        const auth = live.split('\n').filter((l) => /^(requirepass|user|sentinel (auth|sentinel)-(pass|user)) /.test(l));
        assert.deepEqual(auth, [
          'user default off',
          'user sentinel on #newhash -@all +ping',
          'sentinel auth-user mymaster sentinel',
          'sentinel sentinel-user sentinel',
          `sentinel auth-pass mymaster ${quoted}`,
          `sentinel sentinel-pass ${quoted}`,
        ]);
        assert.ok(r.calls.every((c) => c.endsWith(` ${as('health')}`)), r.calls.join('\n'));
      });

      it('without secret files (auth disabled) writes no auth lines', async (t) => {
        if (!ready(t)) return;
        const r = await go('sentinel-start.sh', { secrets: {}, replies: NODES_ANSWER });
        assert.equal(r.code, 0, r.out);
        assert.equal(await r.data('sentinel.conf'), SENTINEL_CONF);
        assert.ok(r.calls.every((c) => c.endsWith(` ${as('')}`)), r.calls.join('\n'));
      });

      it('refuses to start when its secret is mounted but empty', async (t) => {
        if (!ready(t)) return;
        const r = await go('sentinel-start.sh', { secrets: { ...SECRETS, sentinel: '' } });
        assert.notEqual(r.code, 0, r.out);
        assert.match(r.out, /cannot read the secret .*secrets\/sentinel/);
        assert.equal(r.entrypoint, undefined);
      });
    });

    describe('sentinel-health.sh', () => {
      const health = (replies: Replies) =>
        go('sentinel-health.sh', { replies });

      it('passes when the Sentinel names a master, asked as the user health', async (t) => {
        if (!ready(t)) return;
        const r = await health({ local: { SENTINEL: addr('redis-1') } });
        assert.equal(r.code, 0);
        assert.deepEqual(r.calls, [`local SENTINEL get-master-addr-by-name mymaster ${as('health')}`]);
      });
      it('fails on an error reply (NOAUTH)', async (t) => {
        if (!ready(t)) return;
        assert.equal((await health({ local: { SENTINEL: NOAUTH } })).code, 1);
      });
      it('fails when it names no master (nil), or a port that is not a number', async (t) => {
        if (!ready(t)) return;
        assert.equal((await health({ local: { SENTINEL: NIL } })).code, 1);
        assert.equal((await health({ local: { SENTINEL: 'redis-1\nsix\n' } })).code, 1);
      });
      it('fails when the Sentinel does not answer, or not within 2 s', async (t) => {
        if (!ready(t)) return;
        assert.equal((await health({})).code, 1);
        const hung = await health({ local: { SENTINEL: 'hang' } });
        assert.equal(hung.code, 1);
        assert.ok(hung.ms < 5000, `took ${hung.ms} ms`);
      });
    });

    describe('redis-health.sh', () => {
      const info = (...lines: string[]) => `# Replication\r\n${lines.join('\r\n')}\r\n`;
      const health = (replies: Replies, data: Record<string, string> = {}) =>
        go('redis-health.sh', { replies, data });

      it('passes for a master', async (t) => {
        if (!ready(t)) return;
        assert.equal((await health({ local: { INFO: info('role:master', 'connected_slaves:2') } })).code, 0);
      });
      it('passes for a replica whose link is up', async (t) => {
        if (!ready(t)) return;
        const r = await health({ local: { INFO: info('role:slave', 'master_host:redis-1', 'master_link_status:up') } });
        assert.equal(r.code, 0);
        assert.deepEqual(r.calls, [`local INFO replication ${as('health')}`], 'as the user health, with its secret');
      });
      it('fails for a replica whose link is down', async (t) => {
        if (!ready(t)) return;
        const r = await health({ local: { INFO: info('role:slave', 'master_host:redis-1', 'master_link_status:down') } });
        assert.equal(r.code, 1);
      });
      it('fails on an error reply (NOAUTH) and when Redis does not answer', async (t) => {
        if (!ready(t)) return;
        assert.equal((await health({ local: { INFO: NOAUTH } })).code, 1);
        assert.equal((await health({})).code, 1);
      });
      it('fails while a first start is still attaching, saying so', async (t) => {
        if (!ready(t)) return;
        const r = await health({ local: { INFO: info('role:master') } }, { '.redis-ha-attaching': 'redis-1 6379\n' });
        assert.equal(r.code, 1);
        assert.match(r.out, /attaching to redis-1 6379/);
      });
    });

    describe('with TLS (the CA mounted as /run/secrets/tls-ca.crt)', () => {
      const TLS_SECRETS = { ...SECRETS, 'tls-ca.crt': '-----BEGIN CERTIFICATE-----\n' };
      const caOf = (r: Result) => join(r.dataDir, '..', 'secrets', 'tls-ca.crt');
      const overTls = (r: Result, user: string) => ` ${as(user)} tls=${caOf(r)}`;

      it('redis-start.sh: every redis-cli call (Sentinels, PING, REPLICAOF) is --tls --cacert <the CA>', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          // No Sentinels: a first start, which attaches to the rendered master.
          env: { ...REDIS_ENV, SENTINELS: '', SENTINEL_COUNT: '0' },
          secrets: TLS_SECRETS,
          replies: { local: { PING: 'PONG\n', REPLICAOF: 'OK\n', CONFIG: 'OK\n' }, 'redis-1': { PING: 'PONG\n' } },
        });
        assert.equal(r.code, 0, r.out);
        await waitFor(async () => (await r.data('.redis-ha-attaching')) === undefined, 5000);
        const calls = (await readFile(join(r.dataDir, '..', 'fake', 'calls'), 'utf8')).split('\n').filter(Boolean);
        assert.ok(calls.some((c) => c.startsWith('local REPLICAOF redis-1 6379')), calls.join('\n'));
        for (const c of calls) assert.ok(c.endsWith(overTls(r, c.includes('REPLICAOF') || c.includes('CONFIG') ? 'admin' : 'health')), c);
        // The flags come among the options, before the command (the fake stops at the first non-option).
        const argv = (await readFile(join(r.dataDir, '..', 'fake', 'argv'), 'utf8')).split('\n').filter(Boolean);
        assert.equal(argv.length, calls.length);
        assert.ok(argv.every((a) => a.includes(` --tls --cacert ${caOf(r)} `)), argv.join('\n'));
      });

      it('redis-start.sh asks the Sentinels over TLS', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-start.sh', {
          secrets: TLS_SECRETS,
          data: { 'redis.conf': REDIS_CONF },
          replies: { 'sentinel-1': { SENTINEL: addr('redis-2') }, 'sentinel-2': { SENTINEL: addr('redis-2') } },
        });
        assert.equal(r.code, 0, r.out);
        assert.deepEqual(roleLines(await r.data('redis.conf')), ['replicaof redis-2 6379'], r.out);
        assert.deepEqual(
          [...r.calls].sort(),
          ['sentinel-1', 'sentinel-2', 'sentinel-3'].map((h) => `${h} SENTINEL get-master-addr-by-name mymaster${overTls(r, 'health')}`),
        );
      });

      it('the healthchecks pass over TLS, and fail when the CA cannot be read', async (t) => {
        if (!ready(t)) return;
        const info = '# Replication\r\nrole:master\r\n';
        const redis = await go('redis-health.sh', { secrets: TLS_SECRETS, replies: { local: { INFO: info } } });
        assert.equal(redis.code, 0, redis.out);
        assert.deepEqual(redis.calls, [`local INFO replication${overTls(redis, 'health')}`]);
        const sentinel = await go('sentinel-health.sh', { secrets: TLS_SECRETS, replies: { local: { SENTINEL: addr('redis-1') } } });
        assert.equal(sentinel.code, 0, sentinel.out);
        assert.deepEqual(sentinel.calls, [`local SENTINEL get-master-addr-by-name mymaster${overTls(sentinel, 'health')}`]);
        // A CA that is there but is no file (the fake fails as redis-cli does): unhealthy.
        const broken = await go('redis-health.sh', { dirsInSecrets: ['tls-ca.crt'], replies: { local: { INFO: info } } });
        assert.equal(broken.code, 1, broken.out);
      });

      it('without the CA (no TLS) no call has --tls', async (t) => {
        if (!ready(t)) return;
        const r = await go('redis-health.sh', { replies: { local: { INFO: '# Replication\r\nrole:master\r\n' } } });
        assert.equal(r.code, 0);
        assert.ok(r.argv.every((a) => !a.includes('--tls')), r.argv.join('\n'));
      });

      it('sentinel-start.sh keeping its last state takes the rendered port and TLS lines (TLS turned on since)', async (t) => {
        if (!ready(t)) return;
        const tlsLines = ['port 0', 'tls-port 26379', 'tls-cert-file /run/secrets/tls-sentinel-1.crt', 'tls-replication yes'];
        const rendered = `${tlsLines.join('\n')}\n${SENTINEL_CONF.replace('port 26379\n', '')}`;
        const r = await go('sentinel-start.sh', {
          secrets: TLS_SECRETS,
          conf: { [SENTINEL_RENDERED]: rendered },
          data: { 'sentinel.conf': SENTINEL_CONF },
        });
        assert.equal(r.code, 0, r.out);
        const live = ((await r.data('sentinel.conf')) ?? '').split('\n');
        assert.deepEqual(live.filter((l) => /^(port|tls-)/.test(l)), tlsLines, live.join('\n'));
        assert.ok(r.calls.every((c) => c.endsWith(overTls(r, 'health'))), r.calls.join('\n'));
      });
    });
  });
}

