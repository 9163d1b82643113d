// ComposeRuntime's docker / compose argv and JSON reading, against a fake `docker` on PATH
// that records its argv and stdin and answers canned JSON. No engine involved.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMPOSE_LABELS, LABEL_MANAGED } from '../../src/labels.js';
import { ComposeRuntime, upArgs, v1Version } from '../../src/runtime/compose.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const FAKE_DOCKER = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_DIR/argv.log"
case "$1" in
  version) echo '{"Server":{"Version":"20.10.99"}}' ;;
  ps) cat "$FAKE_DIR/ps.txt" ;;
  inspect) cat "$FAKE_DIR/inspect.json" ;;
  volume|network) : ;;
  exec) cat > "$FAKE_DIR/stdin.txt"; cut -d' ' -f5 /proc/$$/stat ;;
  cp) [ "$2" = - ] && cat > "$FAKE_DIR/cp.tar" ;;
  compose) echo "2.99.0-fake" ;;
esac
`;

const inspected = (name: string, state: string, labels: Record<string, string>, bindings: Record<string, string>, live: Record<string, string>) => ({
  Id: `${name}-id`,
  Name: `/${name}`,
  State: { Status: state, ExitCode: 0 },
  Config: { Labels: labels },
  HostConfig: { PortBindings: Object.fromEntries(Object.entries(bindings).map(([k, v]) => [k, [{ HostIp: '127.0.0.1', HostPort: v }]])) },
  NetworkSettings: { Ports: Object.fromEntries(Object.entries(live).map(([k, v]) => [k, [{ HostIp: '127.0.0.1', HostPort: v }]])), Networks: { net: {} } },
});

describe('ComposeRuntime against a fake docker CLI', () => {
  let dir = '';
  let runtime: ComposeRuntime;
  before(async () => {
    dir = await makeTempDir('redis-ha-fake-docker-');
    writeFileSync(join(dir, 'docker'), FAKE_DOCKER);
    chmodSync(join(dir, 'docker'), 0o755);
    writeFileSync(join(dir, 'ps.txt'), 'a-id\nb-id\n');
    writeFileSync(
      join(dir, 'inspect.json'),
      JSON.stringify([
        // Restarting: no live port, yet its configured binding holds 10801.
        inspected('other_redis_1', 'restarting', { [COMPOSE_LABELS.project]: 'other' }, { '6379/tcp': '10801' }, {}),
        inspected('rt-x_redis-1_1', 'running', {
          [COMPOSE_LABELS.project]: 'rt-x',
          [COMPOSE_LABELS.service]: 'redis-1',
          [COMPOSE_LABELS.workingDir]: '/srv/ops/rt-x',
          [COMPOSE_LABELS.configFiles]: '/srv/ops/rt-x/compose.yaml',
          [LABEL_MANAGED]: 'true',
        }, { '6379/tcp': '10802' }, { '6379/tcp': '10802' }),
      ]),
    );
    runtime = new ComposeRuntime({ PATH: `${dir}:/usr/bin:/bin`, FAKE_DIR: dir });
  });
  after(() => removeDir(dir));

  const argvLog = () => readFileSync(join(dir, 'argv.log'), 'utf8').trim().split('\n');

  it('counts the ports of a restarting container (configured bindings), naming it', async () => {
    const held = await runtime.heldPorts();
    assert.deepEqual(
      held.map((h) => [h.hostPort, h.container, h.state]),
      [
        [10801, 'other_redis_1', 'restarting'],
        [10802, 'rt-x_redis-1_1', 'running'],
      ],
    );
    assert.ok(argvLog().includes('ps -a -q --no-trunc'), 'every container, in any state');
  });

  it('lists projects with the compose working-dir and config-files labels (like `docker compose ls`)', async () => {
    const projects = await runtime.projects();
    assert.deepEqual(projects, [{ name: 'rt-x', workingDir: '/srv/ops/rt-x', configFiles: ['/srv/ops/rt-x/compose.yaml'] }]);
  });

  it('exec hands stdin to the process, never argv, and runs the child in its own process group', async () => {
    const secret = 'not-in-argv-s3cret';
    const r = await runtime.exec('a-id', ['redis-cli', '--no-auth-warning'], { stdin: `AUTH ${secret}\n` });
    assert.equal(r.exitCode, 0);
    assert.equal(readFileSync(join(dir, 'stdin.txt'), 'utf8'), `AUTH ${secret}\n`);
    assert.ok(!argvLog().some((l) => l.includes(secret)));
    assert.ok(argvLog().includes('exec -i a-id redis-cli --no-auth-warning'));
    const ownGroup = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2];
    assert.notEqual(r.stdout.trim(), ownGroup, 'a Ctrl-C to our process group does not reach the child');
  });

  it('copyTo streams a tar into `docker cp - <id>:<dir>`, every entry owned by the given user (GNU tar reads it)', async () => {
    writeFileSync(join(dir, 'backup.rdb'), 'REDIS0010-fake-content');
    await runtime.copyTo('c-id', join(dir, 'backup.rdb'), '/data/dump.rdb', { owner: { uid: 999, gid: 999 } });
    assert.equal(argvLog().at(-1), 'cp - c-id:/data');
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', join(dir, 'cp.tar')], { encoding: 'utf8' });
    assert.match(listing, /^-rw------- 999\/999 +22 .* dump\.rdb\n$/);
    assert.equal(execFileSync('tar', ['-xOf', join(dir, 'cp.tar'), 'dump.rdb'], { encoding: 'utf8' }), 'REDIS0010-fake-content');
  });

  it('names DOCKER_HOST when no engine answers', async () => {
    const broken = new ComposeRuntime({ PATH: '/usr/bin:/bin', DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    await assert.rejects(broken.checkEngine(), /not reachable at DOCKER_HOST=unix:\/\/\/nonexistent\/docker.sock/);
  });
});

describe('compose up argv', () => {
  it('whole project: removes orphans; single services: --no-deps, --force-recreate, never --remove-orphans', () => {
    assert.deepEqual(upArgs(), ['up', '-d', '--remove-orphans']);
    assert.deepEqual(upArgs({ services: ['redis-2'], forceRecreate: true, noDeps: true }), ['up', '-d', '--force-recreate', '--no-deps', 'redis-2']);
  });
});

describe('docker-compose v1 version cache', () => {
  it('asks once per docker-compose file, again when the file changes; without a cache dir every time', async () => {
    const dir = await makeTempDir('v1-version-');
    try {
      const binary = join(dir, 'docker-compose');
      writeFileSync(binary, '#!/bin/sh\n');
      const env = { XDG_CACHE_HOME: join(dir, 'cache') };
      let asked = 0;
      const ask = async () => `1.29.${++asked}`;
      assert.equal(await v1Version(binary, ask, env), '1.29.1');
      assert.equal(await v1Version(binary, ask, env), '1.29.1', 'from the cache');
      assert.equal(asked, 1);
      writeFileSync(binary, '#!/bin/sh\n# another release\n');
      assert.equal(await v1Version(binary, ask, env), '1.29.2', 'the file changed: asked again');
      // A cache dir that cannot be made (a file in its place): asked, no error.
      writeFileSync(join(dir, 'blocked'), '');
      assert.equal(await v1Version(binary, ask, { XDG_CACHE_HOME: join(dir, 'blocked') }), '1.29.3');
      assert.equal(await v1Version(binary, ask, { XDG_CACHE_HOME: join(dir, 'blocked') }), '1.29.4');
      assert.equal(await v1Version(binary, ask, {}), '1.29.5', 'no HOME, no XDG_CACHE_HOME: asked');
    } finally {
      await removeDir(dir);
    }
  });
});
