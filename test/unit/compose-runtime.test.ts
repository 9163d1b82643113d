// ComposeRuntime's docker / compose argv and JSON reading, against a fake `docker` on PATH
// that records its argv and stdin and answers canned JSON. No engine involved.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMPOSE_LABELS, LABEL_MANAGED } from '../../src/labels.js';
import { ComposeRuntime, upArgs, v1Version } from '../../src/runtime/compose.js';
import { engineApiFor } from '../../src/runtime/engine-api.js';
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
    // The docker CLI for the reads too (REDIS_HA_DOCKER=cli): the fake answers them.
    runtime = new ComposeRuntime({ PATH: `${dir}:/usr/bin:/bin`, FAKE_DIR: dir, REDIS_HA_DOCKER: 'cli' });
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

describe('ComposeRuntime reads through the engine API on a unix socket', () => {
  let dir = '';
  let server: Server;
  const requests: string[] = [];
  const containers: Record<string, unknown> = {
    'a-id': inspected('other_redis_1', 'restarting', { [COMPOSE_LABELS.project]: 'other' }, { '6379/tcp': '10801' }, {}),
    'b-id': inspected('rt-x_redis-1_1', 'running', { [COMPOSE_LABELS.project]: 'rt-x', [COMPOSE_LABELS.service]: 'redis-1' }, { '6379/tcp': '10802' }, { '6379/tcp': '10802' }),
  };
  let runtime: ComposeRuntime;
  before(async () => {
    dir = await makeTempDir('redis-ha-fake-engine-');
    // The CLI must be there (compose and writes use it), but no read may reach it.
    writeFileSync(join(dir, 'docker'), '#!/bin/sh\necho "$*" >> "$FAKE_DIR/cli.log"\nexit 1\n');
    chmodSync(join(dir, 'docker'), 0o755);
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://docker');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/version') return send(200, { Version: '27.3.1', ApiVersion: '1.47' });
      if (url.pathname === '/containers/json') {
        const labels = (JSON.parse(url.searchParams.get('filters') ?? '{}') as { label?: string[] }).label ?? [];
        // A container listed but removed before its inspect: 'gone-id'.
        const ids = [...Object.keys(containers), 'gone-id', 'failing-id'].filter((id) => labels.every((l) => {
          const [k, v] = l.split('=');
          const own = (containers[id] as { Config: { Labels: Record<string, string> } } | undefined)?.Config.Labels ?? { [COMPOSE_LABELS.project]: 'rt-x' };
          return v === undefined ? k! in own : own[k!] === v;
        }));
        return send(200, ids.map((Id) => ({ Id })));
      }
      const inspect = /^\/containers\/([^/]+)\/json$/.exec(url.pathname);
      if (inspect?.[1] === 'failing-id') return send(500, { message: 'removal of container failing-id is already in progress' });
      if (inspect) return containers[inspect[1]!] ? send(200, containers[inspect[1]!]) : send(404, { message: `No such container: ${inspect[1]}` });
      if (url.pathname === '/images/redis-ha-local/redis:7.0/json') return send(200, { Id: 'sha256:1' });
      if (url.pathname.startsWith('/images/')) return send(404, { message: 'No such image' });
      return send(500, { message: `unexpected ${req.url}` });
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'docker.sock'), resolve));
    runtime = new ComposeRuntime({ PATH: `${dir}:/usr/bin:/bin`, FAKE_DIR: dir, DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` });
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await removeDir(dir);
  });

  it('engine version, held ports, a project\'s containers (one removed and one the engine fails on left out, as docker inspect does) and images, with no docker CLI call', async () => {
    assert.deepEqual(await runtime.checkEngine(), { serverVersion: '27.3.1', apiVersion: '1.47' });
    const held = await runtime.heldPorts();
    assert.deepEqual(held.map((h) => [h.hostPort, h.container, h.state]), [[10801, 'other_redis_1', 'restarting'], [10802, 'rt-x_redis-1_1', 'running']]);
    const own = await runtime.containers('rt-x');
    assert.deepEqual(own.map((c) => [c.service, c.state]), [['redis-1', 'running']]);
    assert.ok(requests.includes(`/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`${COMPOSE_LABELS.project}=rt-x`] }))}`), requests.join('\n'));
    assert.equal(await runtime.imageExists('redis-ha-local/redis:7.0'), true);
    assert.equal(await runtime.imageExists('redis:7.4-alpine'), false);
    assert.ok(!existsSync(join(dir, 'cli.log')), 'no read went to the docker CLI');
  });

  it('says the CLI is missing though the engine answers (compose and writes need it)', async () => {
    const noCli = new ComposeRuntime({ PATH: '/nonexistent', DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` });
    await assert.rejects(noCli.checkEngine(), /docker is not installed \(not found on PATH\)/);
  });

  it('is used only where the CLI reaches the same engine by a unix socket', async () => {
    assert.equal(engineApiFor({ DOCKER_HOST: 'unix:///run/x.sock' })?.socketPath, '/run/x.sock');
    assert.equal(engineApiFor({ HOME: dir })?.socketPath, '/var/run/docker.sock', 'no DOCKER_HOST, no context: the default socket');
    assert.equal(engineApiFor({ DOCKER_HOST: 'tcp://10.0.0.1:2376' }), undefined);
    assert.equal(engineApiFor({ DOCKER_HOST: 'ssh://ops@host' }), undefined);
    assert.equal(engineApiFor({ DOCKER_CONTEXT: 'remote' }), undefined);
    assert.equal(engineApiFor({ DOCKER_HOST: 'unix:///run/x.sock', REDIS_HA_DOCKER: 'cli' }), undefined);
    mkdirSync(join(dir, 'cfg'));
    writeFileSync(join(dir, 'cfg', 'config.json'), JSON.stringify({ currentContext: 'desktop-linux' }));
    assert.equal(engineApiFor({ DOCKER_CONFIG: join(dir, 'cfg') }), undefined, '`docker context use desktop-linux`');
    writeFileSync(join(dir, 'cfg', 'config.json'), JSON.stringify({ currentContext: 'default' }));
    assert.equal(engineApiFor({ DOCKER_CONFIG: join(dir, 'cfg') })?.socketPath, '/var/run/docker.sock');
  });
});
