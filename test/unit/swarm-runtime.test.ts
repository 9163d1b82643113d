// The pure parts of the Swarm runtime: --node-host parsing, each node's docker environment,
// the placement label plan, the service addresses behind the natMap, and the argv of the
// swarm commands. The real thing runs in test/integration/swarm.test.ts on the lab.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { nodeEnv, parseNodeHosts } from '../../src/runtime/node-hosts.js';
import { forceUpdateArgv, nodeLabelArgv, stackDeployArgv, stackService, type SwarmNode } from '../../src/runtime/swarm.js';
import { planLabels, serviceAddresses } from '../../src/runtime/swarm-plan.js';
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
