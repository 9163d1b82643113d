// The redis-py snippet `deploy` prints, pasted as a user would: it must SET/GET through the
// master of a real `sentinel` deployment before a failover, and again after the master was
// killed and the Sentinels promoted a replica (its NAT map must follow the new master). The
// snippet logs in as the user app (no @admin, no @dangerous but INFO): everything redis-py's
// Sentinel client does must work as app; the test's own checks (ROLE, CONFIG GET) use admin.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IN_CI, run, startBackground, waitFor } from '../helpers/binaries.js';
import { containerId, dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';

const NAME = 'fo-py';
const PORT_BASE = 14000;
const SENTINEL_PORT = PORT_BASE + 101;

/** A python3 that can `import redis` (Debian's python3-redis), or undefined. */
function pythonWithRedis(): string | undefined {
  return ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import redis'], { stdio: 'ignore' }).status === 0);
}

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
  assert.equal(r.status, 0, `the redis-py snippet failed:\n${r.stderr}\n--- snippet ---\n${snippet}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { value: string; appRole: string; role: string; announced: string };
}

describe('the printed redis-py snippet, before and after a failover', { concurrency: false, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('fo-py-');
  let snippet: string | undefined;
  let password = '';
  let deployError = '';

  before(async () => {
    const r = await runCli(['deploy', 'sentinel', '--name', NAME, '--port-base', String(PORT_BASE), '--profile', 'fast', ...IMAGE_FLAGS, '--json', '--show-secrets'], {
      cwd: work.dir,
      timeoutMs: 300_000,
    });
    if (r.exitCode !== 0) {
      deployError = `deploy exited ${r.exitCode}: ${r.stderr.slice(-2000)}`;
      return;
    }
    const out = JSON.parse(r.stdout) as { snippets: { redisPy?: string }; healthy: boolean };
    snippet = out.snippets.redisPy;
    password = /password=("[^"]*")/.exec(snippet ?? '')?.[1] ? JSON.parse(/password=("[^"]*")/.exec(snippet!)![1]!) : '';
  });

  after(async () => {
    await runCli(['cleanup', '--name', NAME], { cwd: work.dir, timeoutMs: 180_000 });
    forceRemoveProject(NAME);
    work.remove();
  });

  it('SET/GET through master, kill the master, SET/GET through the new master', { timeout: 300_000 }, async (t) => {
    if (!requireDocker(t)) return;
    const python = pythonWithRedis();
    if (!python) {
      const reason = "no python3 with the redis module (Debian's python3-redis)";
      if (IN_CI) assert.fail(`${reason}; CI=true requires it`);
      t.skip(reason);
      return;
    }
    assert.ok(snippet, deployError || 'deploy printed no redis-py snippet');
    assert.ok(password, 'the snippet carries the password (--show-secrets)');
    assert.match(snippet, /username="app"/, 'the snippet logs in as app');
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
    // The write acknowledged by a replica before the failover survived it.
    const old = run(python, ['-c', `${snippet}\nprint(master.get("fo-py:before").decode())`], { timeoutMs: 30_000 });
    assert.equal(old.stdout.trim(), 'one', old.stderr);
  });
});
