// The client modules `deploy` writes (<out>/clients/), used as an application's tests use them:
// imported from another directory (redis_py.py by python3 with Debian's redis-py, ioredis.mjs
// by a Node process in a directory with its own node_modules/ioredis), they SET/GET through
// the master of a real `sentinel` deployment before a failover, keep writing through it while
// the master is killed and the Sentinels promote a replica (the NAT map must follow the new
// master), and again after. They log in as the user app (no @admin, no @dangerous but INFO);
// the test's own checks (ROLE, CONFIG GET) use admin.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pythonWithRedis, run, startBackground, waitFor } from '../helpers/binaries.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { containerId, dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';

const NAME = 'fo-py';
const PORT_BASE = 14000;
const SENTINEL_PORT = PORT_BASE + 101;

/**
 * The snippet, then a SET (acknowledged by a replica: WAIT) and a GET through `master`, as app;
 * prints the value, the role the node gives app (INFO), and, asked as admin on the address
 * the client used, the node's ROLE and announced name.
 */
function useSnippet(python: string, snippet: string, key: string, value: string, admin: string) {
  const script = `${snippet}
import json, os, sys, redis
master.set(sys.argv[1], sys.argv[2])
master.execute_command("WAIT", 1, 2000)
got = master.get(sys.argv[1]).decode()
app_role = master.info("replication")["role"]
host, port = master.connection_pool.get_master_address()
node = redis.Redis(host=host, port=port, username="admin", password=os.environ["ADMIN_SECRET"], socket_timeout=2)
role = node.execute_command("ROLE")[0]
print(json.dumps({"value": got, "appRole": app_role, "role": role.decode() if isinstance(role, bytes) else role,
                  "announced": node.config_get("replica-announce-ip").get("replica-announce-ip")}))
`;
  const r = run(python, ['-c', script, key, value], { timeoutMs: 30_000, env: { ...process.env, ADMIN_SECRET: admin } });
  // A CI run once had every Sentinel answer no usable master right after deploy said healthy:
  // what each Sentinel says now, to find out why should it happen again.
  assert.equal(r.status, 0, `redis_py.connect() failed:\n${r.stderr}\nthe Sentinels now:\n${r.status === 0 ? '' : sentinelViews(admin)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { value: string; appRole: string; role: string; announced: string };
}

/** Each Sentinel's SENTINEL MASTER mymaster (ip, flags, epoch, down-after) and its TILT state, as admin. */
function sentinelViews(admin: string): string {
  return [0, 1, 2]
    .map((i) => {
      const ask = (...args: string[]) =>
        run('redis-cli', ['-h', '127.0.0.1', '-p', String(SENTINEL_PORT + i), '--user', 'admin', '--no-auth-warning', '--raw', ...args], { env: { ...process.env, REDISCLI_AUTH: admin }, timeoutMs: 3000 });
      const m = ask('SENTINEL', 'MASTER', 'mymaster').stdout.split('\n');
      const field = (k: string) => m[m.indexOf(k) + 1];
      const tilt = /^sentinel_tilt:(\d)/m.exec(ask('INFO', 'sentinel').stdout)?.[1];
      return `  sentinel port ${SENTINEL_PORT + i}: ip ${field('ip')} flags ${field('flags')} epoch ${field('config-epoch')} other-sentinels ${field('num-other-sentinels')} tilt ${tilt}`;
    })
    .join('\n');
}

describe('the client modules deploy writes, imported from another directory, through a failover', { concurrency: false, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('fo-py-');
  // An application's directory: its own node_modules/ioredis (linked to this repository's copy).
  const app = tempWorkdir('fo-py-app-');
  let snippet: string | undefined;
  let password = '';
  let deployError = '';
  let clients = '';

  before(async () => {
    const r = await runCli(['deploy', 'sentinel', '--name', NAME, '--port-base', String(PORT_BASE), '--profile', 'fast', ...IMAGE_FLAGS, '--json'], {
      cwd: work.dir,
      timeoutMs: 300_000,
    });
    if (r.exitCode !== 0) {
      deployError = `deploy exited ${r.exitCode}: ${r.stderr.slice(-2000)}`;
      return;
    }
    const out = JSON.parse(r.stdout) as { snippets: { redisPy?: string }; clients: string[]; dir: string };
    clients = join(out.dir, 'clients');
    assert.deepEqual(out.clients.sort(), ['env', 'ioredis.mjs', 'redis_py.py'].map((f) => join(clients, f)));
    // The printed line, with a name for the client the checks below use.
    snippet = `${out.snippets.redisPy}\nmaster = r`;
    password = readFileSync(join(out.dir, 'secrets', 'app'), 'utf8').trim();
    mkdirSync(join(app.dir, 'node_modules'));
    symlinkSync(join(REPO_ROOT, 'node_modules', 'ioredis'), join(app.dir, 'node_modules', 'ioredis'));
    writeFileSync(join(app.dir, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
  });

  after(async () => {
    await runCli(['cleanup', '--name', NAME], { cwd: work.dir, timeoutMs: 180_000 });
    forceRemoveProject(NAME);
    work.remove();
    app.remove();
  });

  it('SET/GET through master, kill the master (while ioredis and redis-py clients write), SET/GET through the new master', { timeout: 300_000 }, async (t) => {
    if (!requireDocker(t)) return;
    const python = pythonWithRedis(t);
    if (!python) return;
    assert.ok(snippet, deployError || 'deploy printed no redis-py line');
    assert.ok(password, 'secrets/app holds the password of app');
    assert.ok(!readFileSync(join(clients, 'redis_py.py'), 'utf8').includes(password) && !readFileSync(join(clients, 'ioredis.mjs'), 'utf8').includes(password), 'no module holds the password');
    const admin = readFileSync(join(work.dir, '.redis-ha', NAME, 'secrets', 'admin'), 'utf8').trim();

    const before = useSnippet(python, snippet, 'fo-py:before', 'one', admin);
    assert.deepEqual(before, { value: 'one', appRole: 'master', role: 'master', announced: 'redis-1' });

    // The node redis-1 is, by run_id (app may read INFO, not CONFIG): the long-lived client
    // below tells by it when its writes land elsewhere.
    const runId = run('redis-cli', ['-h', '127.0.0.1', '-p', String(PORT_BASE + 1), '--user', 'admin', '--no-auth-warning', '--raw', 'INFO', 'server'], {
      env: { ...process.env, REDISCLI_AUTH: admin },
      timeoutMs: 3000,
    }).stdout.match(/^run_id:(\w+)/m)?.[1];
    assert.ok(runId, 'the run_id of redis-1');

    const sentinelMaster = () =>
      run('redis-cli', ['-h', '127.0.0.1', '-p', String(SENTINEL_PORT), '--user', 'app', '--no-auth-warning', '--raw', 'SENTINEL', 'get-master-addr-by-name', 'mymaster'], {
        env: { ...process.env, REDISCLI_AUTH: password },
        timeoutMs: 3000,
      }).stdout.split('\n')[0];
    assert.equal(sentinelMaster(), 'redis-1');
    // A process that keeps its `master` across the failover, as an application would: it
    // writes every 100 ms until a write lands on a node other than redis-1.
    const longLived = startBackground(python, [
      '-c',
      `${snippet}
import time, sys
deadline = time.time() + 90
while time.time() < deadline:
    try:
        master.set("fo-py:live", "x")
        if master.info("server")["run_id"] != "${runId}":
            host, port = master.connection_pool.get_master_address()
            print("reached", port, flush=True)
            sys.exit(0)
    except Exception as e:
        print("retry", type(e).__name__, flush=True)
    time.sleep(0.1)
sys.exit(1)
`,
    ]);
    t.after(() => longLived.stop());
    // The same from Node: the application imports the module and keeps its client.
    writeFileSync(
      join(app.dir, 'live.mjs'),
      `import { connect } from ${JSON.stringify(join(clients, 'ioredis.mjs'))};
const redis = await connect();
console.log('connected', (await redis.set('fo-js:before', 'one')));
const deadline = Date.now() + 90_000;
while (Date.now() < deadline) {
  try {
    await redis.set('fo-js:live', 'x');
    const runId = /run_id:(\\w+)/.exec(await redis.info('server'))[1];
    if (runId !== ${JSON.stringify(runId)}) {
      console.log('reached', redis.stream.remotePort);
      await redis.quit();
      process.exit(0);
    }
  } catch (err) {
    console.log('retry', err.message);
  }
  await new Promise((r) => setTimeout(r, 100));
}
process.exit(1);
`,
    );
    const node = startBackground(process.execPath, [join(app.dir, 'live.mjs')], { cwd: app.dir });
    t.after(() => node.stop());
    assert.ok(await waitFor(() => /connected OK/.test(node.output()), 20_000), `the ioredis module did not connect: ${node.output()}`);
    const killed = spawnSync('docker', ['kill', containerId(NAME, 'redis-1')], { encoding: 'utf8' });
    assert.equal(killed.status, 0, killed.stderr);
    assert.ok(await waitFor(() => !['redis-1', '', undefined].includes(sentinelMaster()), 60_000), 'the Sentinels named no new master within 60 s');
    const promoted = sentinelMaster()!;

    // Pasted again after the failover: finds the new master through the Sentinels and the NAT map.
    const after = useSnippet(python, snippet, 'fo-py:after', 'two', admin);
    assert.deepEqual(after, { value: 'two', appRole: 'master', role: 'master', announced: promoted });
    // The long-lived client followed the failover by itself (to the published port of the new master).
    assert.ok(await waitFor(() => longLived.exited(), 60_000), `the long-lived redis-py client did not reach the new master: ${longLived.output()}`);
    assert.match(longLived.output(), new RegExp(`reached ${PORT_BASE + Number(promoted.replace('redis-', ''))}\\b`), longLived.output());
    assert.ok(await waitFor(() => node.exited(), 60_000), `the long-lived ioredis client did not reach the new master: ${node.output()}`);
    assert.match(node.output(), new RegExp(`reached ${PORT_BASE + Number(promoted.replace('redis-', ''))}\\b`), node.output());
    // The write acknowledged by a replica before the failover survived it.
    const old = run(python, ['-c', `${snippet}\nprint(master.get("fo-py:before").decode())`], { timeoutMs: 30_000 });
    assert.equal(old.stdout.trim(), 'one', old.stderr);
  });
});
