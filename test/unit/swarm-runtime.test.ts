// The pure parts of the Swarm runtime: --node-host parsing, each node's docker environment,
// the placement label plan, the service addresses behind the natMap, and the argv of the
// swarm commands; and which node's engine a container call goes to, against a fake `docker`
// on PATH. The real thing runs in test/integration/swarm.test.ts on the lab.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { nodeEnv, parseNodeHosts } from '../../src/runtime/node-hosts.js';
import type { SwarmNode } from '../../src/runtime/runtime.js';
import { forceUpdateArgv, nodeLabelArgv, OUT_OF_SEQUENCE_TRIES, stackDeployArgv, stackService, SwarmRuntime } from '../../src/runtime/swarm.js';
import { planLabels, serviceAddresses } from '../../src/runtime/swarm-plan.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

const node = (i: number, extra: Partial<SwarmNode> = {}): SwarmNode => ({
  id: `id${i}`,
  hostname: `node${i}`,
  address: `10.77.0.1${i}`,
  state: 'ready',
  availability: 'active',
  manager: true,
  labels: {},
  ...extra,
});

describe('--node-host', () => {
  it('parses NODE=DOCKER_HOST for unix, ssh and tcp engines', () => {
    assert.deepEqual(parseNodeHosts(['node1=unix:///run/redis-ha-lab/node1/docker.sock', 'db2=ssh://admin@db2', 'db3=tcp://10.0.0.3:2376']), {
      node1: 'unix:///run/redis-ha-lab/node1/docker.sock',
      db2: 'ssh://admin@db2',
      db3: 'tcp://10.0.0.3:2376',
    });
    assert.deepEqual(parseNodeHosts(undefined), {});
  });

  it('refuses every bad value at once, naming each', () => {
    assert.throws(
      () => parseNodeHosts(['node1', '=unix:///x', 'node2=http://x', 'node3=unix:///a', 'node3=unix:///b', 'node4=unix:///x y']),
      (err: Error) => {
        assert.ok(err instanceof UsageError);
        for (const bad of ['"node1"', '"=unix:///x"', '"http://x"', 'node3 is given twice', '"unix:///x y"']) assert.match(err.message, new RegExp(bad.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')));
        return true;
      },
    );
  });

  it("a node's engine: its --node-host as DOCKER_HOST, else the context named like it (DOCKER_HOST unset)", () => {
    const base = { PATH: '/bin', DOCKER_HOST: 'unix:///manager.sock' };
    assert.deepEqual(nodeEnv(base, { node2: 'ssh://n2' }, 'node2'), { PATH: '/bin', DOCKER_HOST: 'ssh://n2', DOCKER_CONTEXT: undefined });
    assert.deepEqual(nodeEnv(base, {}, 'node3'), { PATH: '/bin', DOCKER_HOST: undefined, DOCKER_CONTEXT: 'node3' });
  });
});

describe('swarm placement labels', () => {
  const t = topologyOf('sentinel', { name: 'shop', target: 'swarm' });

  it('a first deploy labels redis-i and sentinel-i onto node (i - 1) mod N by hostname', () => {
    const plan = planLabels(t, [node(2), node(1), node(3)].sort((a, b) => a.hostname.localeCompare(b.hostname)));
    assert.deepEqual(plan.problems, []);
    assert.deepEqual([...plan.add], [
      ['node1', ['io.redis-ha.shop.redis-1', 'io.redis-ha.shop.sentinel-1']],
      ['node2', ['io.redis-ha.shop.redis-2', 'io.redis-ha.shop.sentinel-2']],
      ['node3', ['io.redis-ha.shop.redis-3', 'io.redis-ha.shop.sentinel-3']],
    ]);
    assert.equal(plan.pinned['redis-3'], 'node3');
  });

  it('a later deploy keeps services where their labels (and data) are, and labels only the new ones', () => {
    const nodes = [node(1, { labels: { 'io.redis-ha.shop.redis-1': 'true', 'io.redis-ha.other.redis-2': 'true' } }), node(2), node(3, { labels: { 'io.redis-ha.shop.redis-2': 'true' } })];
    const plan = planLabels(t, nodes);
    assert.equal(plan.pinned['redis-1'], 'node1');
    assert.equal(plan.pinned['redis-2'], 'node3', 'stays on the node holding its label');
    assert.ok(![...plan.add.values()].flat().includes('io.redis-ha.shop.redis-2'));
    assert.ok(![...plan.add.values()].flat().some((k) => k.includes('.other.')), 'another deployment is not touched');
  });

  it('refuses to place a service whose labelled node is drained or down (its data is there)', () => {
    const plan = planLabels(t, [node(1, { labels: { 'io.redis-ha.shop.redis-1': 'true' }, availability: 'drain' }), node(2), node(3)]);
    assert.match(plan.problems.join(), /redis-1 is pinned to node node1 .* not ready and active/);
  });

  it('with swarm.nodes nothing is labelled, and every named node must be there', () => {
    const named = topologyOf('sentinel', { name: 'shop', target: 'swarm', swarm: { nodes: ['node1', 'node2', 'db9'] } });
    const plan = planLabels(named, [node(1), node(2), node(3)]);
    assert.equal(plan.add.size, 0);
    assert.match(plan.problems.join(), /swarm.nodes names db9, which is not a node of this swarm/);
    assert.equal(plan.pinned['sentinel-2'], 'node2');
  });

  it("addresses: a pinned service at its node's address, a floating one where a task runs, else the first available node", () => {
    const nodes = [node(1), node(2), node(3)];
    const at = serviceAddresses({ 'redis-2': 'node2' }, nodes, (s) => (s === 'haproxy' ? ['node3'] : []));
    assert.equal(at('redis-2'), '10.77.0.12');
    assert.equal(at('haproxy'), '10.77.0.13');
    assert.equal(at('exporter'), '10.77.0.11');
  });
});

describe('swarm argv', () => {
  it('stack deploy uses local images as they are and prunes services the file no longer has', () => {
    assert.deepEqual(stackDeployArgv({ name: 'shop', dir: '/d', file: '/d/stack.yaml' }), ['stack', 'deploy', '--resolve-image', 'never', '--prune', '-c', '/d/stack.yaml', 'shop']);
  });
  it('one service is re-created with service update --force', () => {
    assert.deepEqual(forceUpdateArgv('shop', 'redis-2'), ['service', 'update', '--force', '--detach', '--quiet', 'shop_redis-2']);
  });
  it('node labels are added and removed in one node update each', () => {
    assert.deepEqual(nodeLabelArgv('node1', ['io.redis-ha.shop.redis-1'], ['io.redis-ha.shop.sentinel-1']), ['node', 'update', '--label-add', 'io.redis-ha.shop.redis-1=true', '--label-rm', 'io.redis-ha.shop.sentinel-1', 'node1']);
  });
  it('the role-neutral service of a task container', () => {
    assert.equal(stackService('shop', 'shop_redis-2'), 'redis-2');
    assert.equal(stackService('shop', 'other_redis-2'), 'other_redis-2');
  });
});

// Two nodes; node2's engine runs container c2 (of stack st, service redis-1), node1's runs none.
const FAKE_DOCKER = `#!/bin/sh
printf '%s %s\\n' "$DOCKER_HOST" "$*" >> "$FAKE_DIR/argv.log"
case "$1 $2" in
  "node ls") printf 'n1\\nn2\\n' ;;
  "node inspect") cat "$FAKE_DIR/nodes.json" ;;
  "inspect --type")
    if [ "$DOCKER_HOST" = unix:///fake/node2.sock ] && [ "$4" = c2 ]; then cat "$FAKE_DIR/c2.json"; else echo '[]'; exit 1; fi ;;
  "logs --tail") echo "log of $4 on $DOCKER_HOST" ;;
  "service update")
    # Refused as Swarm refuses a lost race, as many times as $FAKE_DIR/refusals says.
    n=$(cat "$FAKE_DIR/refusals" 2>/dev/null || echo 0)
    if [ "$n" -gt 0 ]; then
      echo $((n - 1)) > "$FAKE_DIR/refusals"
      echo "Error response from daemon: rpc error: code = Unknown desc = \${FAKE_ERROR:-update out of sequence}" >&2; exit 1
    fi ;;
esac
exit 0
`;

describe('SwarmRuntime: the node of a container', () => {
  let dir = '';
  let env: Record<string, string | undefined> = {};
  const hosts = { node1: 'unix:///fake/node1.sock', node2: 'unix:///fake/node2.sock' };
  const log = () => readFileSync(join(dir, 'argv.log'), 'utf8').trim().split('\n');
  before(async () => {
    dir = await makeTempDir('redis-ha-fake-swarm-');
    writeFileSync(join(dir, 'docker'), FAKE_DOCKER);
    chmodSync(join(dir, 'docker'), 0o755);
    const node = (id: string, hostname: string) => ({ ID: id, Spec: { Availability: 'active', Role: 'manager' }, Description: { Hostname: hostname }, Status: { State: 'ready', Addr: `10.9.0.${id.slice(1)}` } });
    writeFileSync(join(dir, 'nodes.json'), JSON.stringify([node('n1', 'node1'), node('n2', 'node2')]));
    const labels = { 'com.docker.stack.namespace': 'st', 'com.docker.swarm.service.name': 'st_redis-1' };
    writeFileSync(join(dir, 'c2.json'), JSON.stringify([{ Id: 'c2', Name: '/st_redis-1.1.x', State: { Status: 'running', ExitCode: 0 }, Config: { Labels: labels }, NetworkSettings: { Networks: {} } }]));
    env = { PATH: `${dir}:${process.env.PATH}`, FAKE_DIR: dir, DOCKER_HOST: 'unix:///fake/manager.sock', REDIS_HA_DOCKER: 'cli' };
  });
  after(() => removeDir(dir));

  it('a container never listed is found on its node, and the call goes to that node only', async () => {
    writeFileSync(join(dir, 'argv.log'), '');
    const runtime = new SwarmRuntime(env, hosts);
    await runtime.containerAction('kill', 'c2');
    assert.ok(log().includes('unix:///fake/node2.sock kill c2'), log().join('\n'));
    assert.ok(!log().some((l) => l.endsWith(' kill c2') && !l.startsWith('unix:///fake/node2.sock')), 'killed on node2 only');
    // Learnt once: the next call asks no node list again.
    writeFileSync(join(dir, 'argv.log'), '');
    assert.equal(await runtime.logs('c2', { lines: 5 }), 'log of c2 on unix:///fake/node2.sock');
    assert.deepEqual(log(), ['unix:///fake/node2.sock logs --tail 5 c2']);
  });

  it('inspect finds a container never listed, with its node and role-neutral service', async () => {
    const [c] = await new SwarmRuntime(env, hosts).inspect(['c2']);
    assert.equal(c?.node, 'node2');
    assert.equal(c?.service, 'redis-1');
  });

  it('a service write that loses Swarm\'s version race ("update out of sequence") is tried again; any other refusal is not', async () => {
    const updates = () => log().filter((l) => l.includes(' service update ')).length;
    writeFileSync(join(dir, 'argv.log'), '');
    writeFileSync(join(dir, 'refusals'), '2');
    await new SwarmRuntime(env, hosts).up({ name: 'st', dir, file: join(dir, 'stack.yaml') }, { services: ['redis-1'] });
    assert.equal(updates(), 3);

    writeFileSync(join(dir, 'argv.log'), '');
    writeFileSync(join(dir, 'refusals'), String(OUT_OF_SEQUENCE_TRIES));
    const lost = await rejection(new SwarmRuntime(env, hosts).up({ name: 'st', dir, file: join(dir, 'stack.yaml') }, { services: ['redis-1'] }));
    assert.match(lost.message, /update out of sequence/);
    assert.equal(updates(), OUT_OF_SEQUENCE_TRIES);

    writeFileSync(join(dir, 'argv.log'), '');
    writeFileSync(join(dir, 'refusals'), '1');
    const other = await rejection(new SwarmRuntime({ ...env, FAKE_ERROR: 'service st_redis-1 not found' }, hosts).up({ name: 'st', dir, file: join(dir, 'stack.yaml') }, { services: ['redis-1'] }));
    assert.match(other.message, /not found/);
    assert.equal(updates(), 1);
    writeFileSync(join(dir, 'refusals'), '0');
  });

  it('a container on no node: says so (exit 1) and acts on none', async () => {
    writeFileSync(join(dir, 'argv.log'), '');
    const err = await rejection(new SwarmRuntime(env, hosts).containerAction('kill', 'gone'));
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /container gone is on no swarm node whose engine answers/);
    assert.ok(!log().some((l) => / kill /.test(l)));
  });
});
