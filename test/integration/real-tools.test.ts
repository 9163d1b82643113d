// Every generated file read by the program that reads it in production: haproxy -c,
// redis-server, redis-sentinel, docker-compose config, promtool. Binaries that are
// missing skip their test with the reason, unless CI=true, where they fail it.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { loadTopology } from '../../src/model/load.js';
import { PRESETS, type PresetName } from '../../src/model/schema.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { freePort, requireBinary, run, startBackground, waitFor } from '../helpers/binaries.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';
import type { Topology } from '../../src/model/schema.js';

const PASSWORD = 'integration-password-5e1a';
/** Lines in a Redis / Sentinel log that mean the config was not accepted as written. */
const BAD_LOG = /Bad directive|FATAL|Unrecognized|wrong number of arguments|Invalid argument/i;

async function writeFiles(dir: string, files: Map<string, string>): Promise<void> {
  for (const [path, content] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/**
 * A runnable copy of a rendered redis.conf / sentinel.conf in `workDir`, as the start
 * scripts make it in the container: the password lines appended. One line differs:
 * `dir /data` becomes `dir <workDir>`, because Redis chdir()s while it reads that line,
 * before command-line overrides (`--dir`) apply, and /data does not exist on this host.
 */
async function runnableCopy(rendered: string, workDir: string, authLines: string[]): Promise<string> {
  const text = await readFile(rendered, 'utf8');
  const dirLines = text.split('\n').filter((l) => l.startsWith('dir '));
  assert.deepEqual(dirLines, ['dir /data'], `${rendered} sets dir /data exactly once`);
  const copy = join(workDir, 'live.conf');
  await writeFile(copy, `${text.replace(/^dir \/data$/m, `dir ${workDir}`)}\n${authLines.join('\n')}\n`);
  return copy;
}

function redisCli(port: number, ...args: string[]) {
  return run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '--raw', ...args], {
    env: { ...process.env, REDISCLI_AUTH: PASSWORD },
    timeoutMs: 5000,
  });
}

async function startAndPing(t: TestContext, binary: string, conf: string, workDir: string) {
  const port = await freePort();
  const server = startBackground(binary, [conf, '--port', String(port), '--bind', '127.0.0.1', '--dir', workDir, '--daemonize', 'no'], {
    cwd: workDir,
  });
  t.after(() => server.stop());
  const answered = await waitFor(() => server.exited() || redisCli(port, 'PING').stdout.trim() === 'PONG', 10_000);
  assert.ok(answered && !server.exited(), `${binary} ${conf} answers PING on 127.0.0.1:${port}; output:\n${server.output()}`);
  return { port, server };
}

for (const preset of PRESETS) {
  describe(`real tools read the ${preset} preset`, () => {
    let dir: string;
    let topology: Topology;
    let files: Map<string, string>;
    before(async () => {
      dir = await makeTempDir();
      topology = (await loadTopology({ preset: preset as PresetName })).topology;
      files = synthesize(topology, { password: PASSWORD });
      await writeFiles(dir, files);
    });
    after(() => removeDir(dir));

    it('docker-compose config -q accepts compose.yaml', (t) => {
      if (!requireBinary(t, 'docker-compose')) return;
      const r = run('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], { cwd: dir });
      assert.equal(r.status, 0, `docker-compose config failed:\n${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim(), '', 'no warnings');
    });

    it('every redis.conf starts a real redis-server (master and replicas)', async (t) => {
      if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-cli')) return;
      const nodes = [...files.keys()].filter((p) => p.startsWith('redis/'));
      assert.equal(nodes.length, topology.replicas + 1);
      for (const node of nodes) {
        await t.test(node, async (st) => {
          const work = await makeTempDir('redis-ha-redis-');
          st.after(() => removeDir(work));
          const conf = await runnableCopy(join(dir, node), work, [`requirepass ${PASSWORD}`, `masterauth ${PASSWORD}`]);
          const { port, server } = await startAndPing(st, 'redis-server', conf, work);
          const role = redisCli(port, 'ROLE').stdout.split('\n')[0];
          assert.equal(role, node === 'redis/redis-1.conf' ? 'master' : 'slave', `${node} starts in its rendered role`);
          redisCli(port, 'SHUTDOWN', 'NOSAVE');
          await waitFor(() => server.exited(), 5000);
          // A replica cannot resolve its master (redis-1) on this host; that line is expected.
          const log = server.output().split('\n').filter((l) => !/Unable to connect to MASTER/.test(l)).join('\n');
          assert.doesNotMatch(log, BAD_LOG, `${node}: redis-server log:\n${server.output()}`);
        });
      }
    });

    it('every sentinel.conf starts a real redis-sentinel that names redis-1 as master', async (t) => {
      const sentinels = [...files.keys()].filter((p) => p.startsWith('sentinel/'));
      if (!topology.sentinel.enabled) {
        assert.deepEqual(sentinels, [], 'no sentinel.conf without Sentinel');
        return;
      }
      if (!requireBinary(t, 'redis-sentinel') || !requireBinary(t, 'redis-cli')) return;
      assert.equal(sentinels.length, topology.sentinel.count);
      for (const sentinel of sentinels) {
        await t.test(sentinel, async (st) => {
          const work = await makeTempDir('redis-ha-sentinel-');
          st.after(() => removeDir(work));
          // Sentinel rewrites its config: it runs from a writable copy, with the lines sentinel-start.sh adds.
          const conf = await runnableCopy(join(dir, sentinel), work, [
            `requirepass ${PASSWORD}`,
            `sentinel auth-pass ${topology.sentinel.masterName} ${PASSWORD}`,
            `sentinel sentinel-pass ${PASSWORD}`,
          ]);
          const { port, server } = await startAndPing(st, 'redis-sentinel', conf, work);
          const master = redisCli(port, 'SENTINEL', 'get-master-addr-by-name', topology.sentinel.masterName);
          assert.deepEqual(master.stdout.trim().split('\n'), ['redis-1', '6379']);
          redisCli(port, 'SHUTDOWN', 'NOSAVE');
          await waitFor(() => server.exited(), 5000);
          assert.doesNotMatch(server.output(), BAD_LOG, `${sentinel}: redis-sentinel log:\n${server.output()}`);
        });
      }
    });

    it('haproxy -c accepts haproxy.cfg without warnings', (t) => {
      if (!topology.haproxy.enabled) {
        assert.equal(files.has('haproxy/haproxy.cfg'), false, 'no haproxy.cfg without HAProxy');
        return;
      }
      if (!requireBinary(t, 'haproxy')) return;
      checkHaproxy(join(dir, 'haproxy/haproxy.cfg'));
    });

    it('promtool accepts prometheus.yml and alerts.yml', (t) => {
      if (!topology.exporter.enabled) {
        assert.equal(files.has('prometheus/prometheus.yml'), false, 'no prometheus.yml without the exporter');
        return;
      }
      if (!requireBinary(t, 'promtool')) return;
      const config = run('promtool', ['check', 'config', join(dir, 'prometheus/prometheus.yml')]);
      assert.equal(config.status, 0, `promtool check config:\n${config.stdout}${config.stderr}`);
      const rules = run('promtool', ['check', 'rules', join(dir, 'prometheus/alerts.yml')]);
      assert.equal(rules.status, 0, `promtool check rules:\n${rules.stdout}${rules.stderr}`);
      assert.match(rules.stdout, /SUCCESS: \d+ rules found/);
    });
  });
}

function checkHaproxy(cfg: string): void {
  const r = run('haproxy', ['-c', '-f', cfg], { env: { ...process.env, REDIS_PASSWORD: PASSWORD } });
  const output = r.stdout + r.stderr;
  assert.equal(r.status, 0, `haproxy -c failed:\n${output}`);
  assert.doesNotMatch(output, /\[WARNING\]|\[ALERT\]/, `haproxy -c reported:\n${output}`);
}

describe('real tools read variants of the full preset', () => {
  const variants: [string, Record<string, unknown>][] = [
    ['10 nodes and 5 Sentinels (quorum 3)', { replicas: 9, sentinel: { count: 5, quorum: 3 } }],
    ['auth disabled', { auth: { enabled: false } }],
    ['fast profile, check interval 100 ms', { profile: 'fast', haproxy: { checkIntervalMs: 100 } }],
  ];
  for (const [label, overrides] of variants) {
    it(`haproxy -c accepts haproxy.cfg: ${label}`, async (t) => {
      if (!requireBinary(t, 'haproxy')) return;
      const dir = await makeTempDir();
      t.after(() => removeDir(dir));
      await writeFiles(dir, synthesize(topologyOf('full', overrides), { password: PASSWORD }));
      checkHaproxy(join(dir, 'haproxy/haproxy.cfg'));
    });

    it(`docker-compose config -q accepts compose.yaml: ${label}`, async (t) => {
      if (!requireBinary(t, 'docker-compose')) return;
      const dir = await makeTempDir();
      t.after(() => removeDir(dir));
      await writeFiles(dir, synthesize(topologyOf('full', overrides), { password: PASSWORD }));
      const r = run('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], { cwd: dir });
      assert.equal(r.status, 0, `docker-compose config failed:\n${r.stdout}${r.stderr}`);
    });
  }
});

// Negative control: the harness above does notice a config Redis refuses.
describe('the redis-server harness', () => {
  it('sees a bad directive as a failed start with "Bad directive" in the log', async (t) => {
    if (!requireBinary(t, 'redis-server')) return;
    const work = await makeTempDir('redis-ha-redis-');
    t.after(() => removeDir(work));
    const conf = join(work, 'bad.conf');
    await writeFile(conf, 'port 6379\nno-such-directive yes\n');
    const port = await freePort();
    const server = startBackground('redis-server', [conf, '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no'], {
      cwd: work,
    });
    t.after(() => server.stop());
    assert.ok(await waitFor(() => server.exited(), 10_000), 'redis-server exits');
    assert.match(server.output(), BAD_LOG);
  });
});
