// HAProxy's checks as redis-ha renders them (haproxy.cfg of `full`), run by the real haproxy
// against real redis-server and redis-sentinel processes on 127.0.0.1: each backend's servers
// are UP exactly when they qualify, and a server that does not qualify fails on its answer
// ("did not match", L7RSP) instead of waiting out the check timeout (L7TOUT), which is what made
// a DOWN server's cycle a check timeout longer and HAProxy route a new master that much later.
// The exception, a Sentinel's nil (no such master), is asserted DOWN only: it still times out.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { synthesize } from '../../src/synth/synthesize.js';
import { freePort, requireBinary, run, startBackground, waitFor, type Background } from '../helpers/binaries.js';
import { FIXED_SECRETS as SECRETS } from '../helpers/secrets.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

const cfg = synthesize(topologyOf('full', { auth: { enabled: false } }), SECRETS).get('haproxy/haproxy.cfg')!;
const backends = cfg.split(/\n(?=backend )/);

/** The check rules of a rendered backend (`option tcp-check` and every `tcp-check` line). */
function rulesOf(backend: string): string[] {
  const b = backends.find((x) => x.startsWith(`backend ${backend}\n`));
  assert.ok(b, `haproxy.cfg has backend ${backend}`);
  const rules = b.split('\n').filter((l) => /^\s*(option tcp-check|tcp-check )/.test(l)).map((l) => l.trim());
  assert.ok(rules.some((l) => l.includes('min-recv 0')), `backend ${backend} judges its answer at once`);
  return rules;
}

/** The rendered check timing: timeout check, inter, downinter. */
const timing = {
  check: /timeout check (\d+ms)/.exec(cfg)![1]!,
  inter: /default-server .*\binter (\d+ms)/.exec(cfg)![1]!,
  downinter: /default-server .*\bdowninter (\d+ms)/.exec(cfg)![1]!,
};

/** `show stat` over the admin socket: per "backend/server", status and check_status. */
function showStat(socket: string): Promise<Map<string, { status: string; check: string; desc: string }>> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    let text = '';
    c.on('data', (d) => (text += d.toString()));
    c.on('error', reject);
    c.on('end', () => {
      const [header, ...rows] = text.trim().split('\n');
      const names = header!.replace(/^# /, '').split(',');
      const at = (n: string) => names.indexOf(n);
      const out = new Map<string, { status: string; check: string; desc: string }>();
      for (const row of rows) {
        const f = row.split(',');
        if (f[1] === 'FRONTEND' || f[1] === 'BACKEND') continue;
        out.set(`${f[0]}/${f[1]}`, { status: f[at('status')]!, check: f[at('check_status')]!, desc: f[at('last_chk')]! });
      }
      resolve(out);
    });
    c.end('show stat\n');
  });
}

describe('HAProxy checks (rendered rules, real haproxy, redis-server and redis-sentinel)', () => {
  let dir: string;
  const processes: Background[] = [];
  let socket: string;
  let master: number;
  let replica: number;
  const cli = (port: number, ...args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeoutMs: 5000 }).stdout.trim();
  const state = async (server: string) => (await showStat(socket)).get(server);

  before(async () => {
    dir = await makeTempDir('haproxy-checks-');
  });
  after(async () => {
    for (const p of processes.reverse()) await p.stop();
    await removeDir(dir);
  });

  it('each server is UP exactly when it qualifies, and one that does not fails on its answer, not the timeout', async (t) => {
    for (const b of ['haproxy', 'redis-server', 'redis-sentinel', 'redis-cli']) if (!requireBinary(t, b)) return;
    master = await freePort();
    replica = await freePort();
    const sentinel = await freePort();
    const redis = (port: number, ...extra: string[]) =>
      startBackground('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', `${port}.rdb`, ...extra]);
    processes.push(redis(master), redis(replica, '--replicaof', '127.0.0.1', String(master)));
    await writeFile(join(dir, 'sentinel.conf'), `port ${sentinel}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor mymaster 127.0.0.1 ${master} 1\n`);
    processes.push(startBackground('redis-sentinel', [join(dir, 'sentinel.conf')]));
    assert.ok(await waitFor(() => /master_link_status:up/.test(cli(replica, 'INFO', 'replication')), 15_000), 'the replica is linked');
    assert.ok(await waitFor(() => cli(sentinel, 'SENTINEL', 'get-master-addr-by-name', 'mymaster').startsWith('127.0.0.1'), 15_000), 'the Sentinel names the master');

    socket = join(dir, 'admin.sock');
    const server = (name: string, port: number) => `    server ${name} 127.0.0.1:${port} check`;
    const backend = (name: string, rules: string[], servers: string[]) => [`backend ${name}`, ...rules.map((r) => `    ${r}`), ...servers].join('\n');
    // sentinels_name_redis-1's rules, naming the address this Sentinel answers with; a second
    // copy for a node it does not name; a third asking for a master it does not know (nil).
    const names = (node: string, master = 'mymaster') => rulesOf('sentinels_name_redis-1').map((r) => r.replace('\\r\\nredis-1\\r\\n', `\\r\\n${node}\\r\\n`).replace('by-name mymaster', `by-name ${master}`));
    const text = [
      'global',
      `    stats socket ${socket} mode 600 level admin`,
      'defaults',
      '    mode tcp',
      '    timeout connect 250ms',
      '    timeout client 10s',
      '    timeout server 10s',
      `    timeout check ${timing.check}`,
      `    default-server inter ${timing.inter} fastinter ${timing.inter} downinter ${timing.downinter} rise 1 fall 1`,
      backend('redis_write', rulesOf('redis_write'), [server('master', master), server('replica', replica)]),
      backend('redis_read', rulesOf('redis_read'), [server('master', master), server('replica', replica)]),
      backend('names_master', names('127.0.0.1'), [server('sentinel', sentinel)]),
      backend('names_other', names('redis-2'), [server('sentinel', sentinel)]),
      backend('names_nil', names('127.0.0.1', 'nosuchmaster'), [server('sentinel', sentinel)]),
      '',
    ].join('\n');
    await writeFile(join(dir, 'haproxy.cfg'), text);
    const valid = run('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')]);
    assert.equal(valid.status, 0, valid.stdout + valid.stderr);
    const haproxy = startBackground('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]);
    processes.push(haproxy);

    const expected: Record<string, 'UP' | 'DOWN'> = {
      'redis_write/master': 'UP',
      'redis_write/replica': 'DOWN',
      'redis_read/master': 'DOWN',
      'redis_read/replica': 'UP',
      'names_master/sentinel': 'UP',
      'names_other/sentinel': 'DOWN',
      'names_nil/sentinel': 'DOWN',
    };
    const settled = async () => {
      const s = await showStat(socket).catch(() => undefined);
      return Boolean(s) && Object.entries(expected).every(([k, v]) => s!.get(k)?.status === v && /^L[47]/.test(s!.get(k)!.check));
    };
    const ok = await waitFor(settled, 15_000);
    const seen = await showStat(socket).catch((err: Error) => err.message);
    assert.ok(ok, `servers as expected; haproxy said:\n${haproxy.output()}\nstats: ${JSON.stringify(seen instanceof Map ? [...seen] : seen)}`);
    const stats = seen as Map<string, { status: string; check: string }>;
    for (const [k, v] of Object.entries(expected)) {
      // L7OK when it qualifies; L7RSP (the answer did not match) when not: never L7TOUT. But nil:
      // an answer shorter than the name sought leaves HAProxy waiting for more, as before (a
      // Sentinel always knows its master here: it is rendered with it).
      if (k === 'names_nil/sentinel') continue;
      assert.equal(stats.get(k)!.check, v === 'UP' ? 'L7OK' : 'L7RSP', `${k}: ${JSON.stringify(stats.get(k))}`);
    }
  });

  it('a promotion turns the roles around, the demoted master failing on its answer', async (t) => {
    if (!socket) return t.skip('needs the processes of the test before');
    assert.equal(cli(replica, 'REPLICAOF', 'NO', 'ONE'), 'OK');
    assert.equal(cli(master, 'REPLICAOF', '127.0.0.1', String(replica)), 'OK');
    const turned = await waitFor(async () => {
      const [w1, w2] = [await state('redis_write/master'), await state('redis_write/replica')];
      return w1?.status === 'DOWN' && w2?.status === 'UP';
    }, 15_000);
    assert.ok(turned, JSON.stringify([...(await showStat(socket))]));
    assert.equal((await state('redis_write/master'))!.check, 'L7RSP');
  });
});
