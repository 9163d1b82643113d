// The cluster preset without an engine: its model rules (each bad input and the problem it
// gives, refused on the command line with nothing written), the shard plan, what synth renders
// for it, the parsing of CLUSTER NODES / INFO, the creation plan from what the nodes say, the
// cluster check, and the printed client snippets.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { stripVTControlCharacters } from 'node:util';
import { formatStatus } from '../../src/commands/status.js';
import { EXIT } from '../../src/errors.js';
import type { StatusSnapshot } from '../../src/health/status.js';
import { checkCluster, crowdedMasterHosts } from '../../src/health/cluster.js';
import { CLUSTER_SLOTS, clusterShards } from '../../src/model/cluster.js';
import { natMap, publishedPorts, redisNodes } from '../../src/model/nodes.js';
import { nodeSlot } from '../../src/model/placement.js';
import type { Problem } from '../../src/model/problems.js';
import type { Topology } from '../../src/model/schema.js';
import { ClusterShapeError, planCluster, summarizeClusterSteps } from '../../src/operations/cluster-create.js';
import { clusterClientOptions } from '../../src/probes/cluster-client.js';
import { parseClusterInfo, parseClusterNodes } from '../../src/probes/cluster.js';
import { snippets } from '../../src/report/snippets.js';
import { clientEnv } from '../../src/report/client-modules.js';
import type { ComposeFile } from '../../src/synth/compose.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { runMain } from '../helpers/main.js';
import { FIXED_SECRETS, fixedTlsFiles } from '../helpers/secrets.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { problemsOf, topologyOf } from '../helpers/topology.js';
import { FORMED, states, type Member } from '../helpers/cluster-states.js';

const at = (problems: Problem[], path: string) => problems.filter((p) => p.path === path);
const flag = (path: string, value: unknown, name: string) => ({ path, value, flag: name });


describe('cluster: the model', () => {
  it('the preset: 3 shards x (1 master + 1 replica) = redis-1..6, each publishing its client port only (the bus stays on the network)', () => {
    const t = topologyOf('cluster');
    assert.equal(t.cluster.enabled, true);
    assert.deepEqual([t.cluster.shards, t.cluster.replicasPerShard, t.replicas], [3, 1, 1]);
    assert.deepEqual(
      redisNodes(t).map((n) => [n.name, n.hostPort]),
      [1, 2, 3, 4, 5, 6].map((i) => [`redis-${i}`, 7000 + i]),
    );
    assert.deepEqual(publishedPorts(t).map((p) => p.port).sort((a, b) => a - b), [7001, 7002, 7003, 7004, 7005, 7006]);
  });

  it('cluster-node-timeout comes from the profile unless set', () => {
    assert.equal(topologyOf('cluster').cluster.nodeTimeoutMs, 5000);
    assert.equal(topologyOf('cluster', { profile: 'fast' }).cluster.nodeTimeoutMs, 2000);
    assert.equal(topologyOf('cluster', { cluster: { nodeTimeoutMs: 800 } }).cluster.nodeTimeoutMs, 800);
  });

  it('the shard plan splits the 16384 slots as redis-cli does, replicas round-robin after the masters', () => {
    assert.deepEqual(clusterShards(topologyOf('cluster')), [
      { shard: 1, master: 'redis-1', replicas: ['redis-4'], slots: [0, 5460] },
      { shard: 2, master: 'redis-2', replicas: ['redis-5'], slots: [5461, 10922] },
      { shard: 3, master: 'redis-3', replicas: ['redis-6'], slots: [10923, 16383] },
    ]);
    for (const [shards, replicasPerShard] of [[4, 2], [5, 0], [7, 1]] as const) {
      const plan = clusterShards({ cluster: { enabled: true, shards, replicasPerShard, nodeTimeoutMs: 1 } });
      assert.equal(plan[0]!.slots[0], 0);
      assert.equal(plan.at(-1)!.slots[1], CLUSTER_SLOTS - 1);
      plan.slice(1).forEach((s, i) => assert.equal(s.slots[0], plan[i]!.slots[1] + 1, 'contiguous'));
      const names = plan.flatMap((s) => [s.master, ...s.replicas]);
      assert.equal(new Set(names).size, shards * (1 + replicasPerShard), 'every node in one shard only');
    }
  });
});

describe('cluster: the rules', () => {
  const load = (...overrides: ReturnType<typeof flag>[]) => problemsOf({ preset: 'cluster', overrides });

  it('the preset as shipped is valid, with no problem at all', async () => {
    assert.deepEqual(await load(), { valid: true, problems: [] });
  });

  it('fewer than 3 shards is an error on cluster.shards', async () => {
    const r = await load(flag('cluster.shards', 2, '--shards'));
    assert.equal(r.valid, false);
    assert.deepEqual(at(r.problems, 'cluster.shards'), [
      {
        severity: 'error',
        path: 'cluster.shards',
        source: '--shards',
        message: '2 shards: Redis Cluster needs at least 3 masters, because a replica is promoted only when a majority of the masters agree its master failed',
        hint: 'set cluster.shards to 3 or more (--shards 3)',
      },
    ]);
  });

  it('replicasPerShard 0 is valid, with a warning that a node loss loses its slots', async () => {
    const r = await load(flag('cluster.replicasPerShard', 0, '--replicas-per-shard'));
    assert.equal(r.valid, true);
    const [w] = at(r.problems, 'cluster.replicasPerShard');
    assert.equal(w?.severity, 'warning');
    assert.match(w!.message, /when any node is lost, its shard's slots are lost with it/);
  });

  it('ports cannot overflow: the largest cluster (32 x 6 nodes) at the highest port base fits, and the bus (not published) does not count', async () => {
    const r = await load(flag('portBase', 65000, '--port-base'), flag('cluster.shards', 32, '--shards'), flag('cluster.replicasPerShard', 5, '--replicas-per-shard'));
    assert.deepEqual(at(r.problems, 'portBase'), []);
    assert.deepEqual(at((await load(flag('portBase', 55530, '--port-base'))).problems, 'portBase'), [], 'bus ports past 65535 are not published');
    assert.match(at((await load(flag('portBase', 65532, '--port-base'))).problems, 'portBase')[0]!.message, /less than or equal to 65000/);
  });

  it('Sentinel and HAProxy settings are refused field by field, each with its reason', async () => {
    const r = await load(
      flag('sentinel.enabled', true, '--sentinel'),
      flag('sentinel.quorum', 1, '--quorum'),
      flag('haproxy.enabled', true, '--haproxy'),
      flag('haproxy.writePort', 7300, '--write-port'),
    );
    assert.equal(r.valid, false);
    for (const path of ['sentinel.enabled', 'sentinel.quorum']) {
      const [p] = at(r.problems, path);
      assert.equal(p?.severity, 'error', path);
      assert.match(p!.message, /^sentinel settings mean nothing in a cluster: a cluster fails over by itself/);
    }
    for (const path of ['haproxy.enabled', 'haproxy.writePort']) {
      const [p] = at(r.problems, path);
      assert.equal(p?.severity, 'error', path);
      assert.match(p!.message, /^haproxy settings mean nothing in a cluster: cluster clients talk to every node themselves/);
    }
    // Set at all is refused, even to its default value (2 is the schema's default quorum).
    assert.match(at((await load(flag('sentinel.quorum', 2, '--quorum'))).problems, 'sentinel.quorum')[0]?.message ?? '', /^sentinel settings mean nothing in a cluster/);
    // The image flags scripts pass to every preset are not settings of a component that runs.
    assert.deepEqual((await load(flag('haproxy.image', 'haproxy:2.8', '--haproxy-image'), flag('exporter.image', 'x/y:1', '--exporter-image'))).valid, true);
    // Not the sentinel-preset rules' advice (quorum, "use the full preset"), which would mislead here.
    assert.deepEqual(r.problems.filter((p) => /full preset/.test(p.hint ?? '')), []);
  });

  it('replicas is refused (replicasPerShard says it), and so are the exporter and monitoring; swarm is a target', async () => {
    const r = await load(flag('replicas', 2, '--replicas'), flag('monitoring.enabled', true, '--monitoring'), flag('target', 'swarm', '--target'));
    assert.equal(r.valid, false);
    assert.match(at(r.problems, 'replicas')[0]!.hint!, /cluster\.replicasPerShard \(--replicas-per-shard\)/);
    assert.match(at(r.problems, 'monitoring.enabled')[0]!.message, /not available for a cluster yet/);
    assert.deepEqual(at(r.problems, 'target'), []);
  });

  it('status warns when a swarm host runs several masters (after failovers), and says what to do; nothing on compose or when spread', () => {
    const shards = [
      { slots: '0-5460', master: 'redis-4', replicas: [{ service: 'redis-1', linkUp: true }] },
      { slots: '5461-10922', master: 'redis-2', replicas: [{ service: 'redis-5', linkUp: true }] },
      { slots: '10923-16383', master: 'redis-3', replicas: [{ service: 'redis-6', linkUp: true }] },
    ];
    const on = (pairs: Record<string, string>) => Object.entries(pairs).map(([service, node]) => ({ service, node }));
    const crowded = crowdedMasterHosts(shards, on({ 'redis-1': 'node1', 'redis-2': 'node2', 'redis-3': 'node3', 'redis-4': 'node2', 'redis-5': 'node3', 'redis-6': 'node1' }));
    assert.equal(crowded.length, 1);
    assert.match(crowded[0]!, /^node2 runs 2 masters: redis-4 \(shard 1\), redis-2 \(shard 2\); losing that host leaves no majority of masters, so no replica could be elected\. `redis-ha switchover --shard 2` moves one/);
    assert.deepEqual(crowdedMasterHosts(shards, on({ 'redis-2': 'node2', 'redis-3': 'node3', 'redis-4': 'node1' })), []);
    assert.deepEqual(crowdedMasterHosts(shards, shards.map((x) => ({ service: x.master }))), [], 'compose: no node');
  });

  it('swarm placement: a shard\'s master and its replicas on different hosts; one host per node when there are enough', () => {
    const t = topologyOf('cluster', { target: 'swarm', bind: '0.0.0.0' });
    const shards = clusterShards(t);
    for (const hosts of [2, 3, 4, 5]) {
      for (const s of shards) for (const r of s.replicas) assert.notEqual(nodeSlot(r, hosts, t), nodeSlot(s.master, hosts, t), `${hosts} hosts: ${r} and its master ${s.master}`);
    }
    assert.deepEqual(redisNodes(t).map((n) => nodeSlot(n.name, 3, t)), [0, 1, 2, 1, 2, 0]);
    assert.deepEqual(redisNodes(t).map((n) => nodeSlot(n.name, 6, t)), [0, 1, 2, 3, 4, 5]);
    const wide = topologyOf('cluster', { target: 'swarm', bind: '0.0.0.0', cluster: { replicasPerShard: 2 } });
    for (const s of clusterShards(wide)) assert.equal(new Set([s.master, ...s.replicas].map((n) => nodeSlot(n, 3, wide))).size, 3, `3 hosts: shard ${s.shard} on three`);
  });

  it('cluster settings without cluster.enabled are a warning, not silently ignored', async () => {
    const r = await problemsOf({ preset: 'basic', overrides: [flag('cluster.shards', 5, '--shards')] });
    assert.equal(r.valid, true);
    assert.deepEqual(r.problems.map((p) => [p.severity, p.path]), [['warning', 'cluster.shards']]);
  });

  it('extraConfig may not set cluster-* directives (redis-ha sets them)', async () => {
    const r = await load(flag('redis.extraConfig', ['cluster-node-timeout 100'], '--extra'));
    assert.equal(r.valid, false);
    assert.match(at(r.problems, 'redis.extraConfig.0')[0]!.message, /set up by redis-ha \(the cluster preset/);
  });
});

describe('cluster: refused on the command line (exit 2, every problem with its path, nothing written)', () => {
  it('render cluster --shards 2 --port-base 60000 --replicas 1', async (t) => {
    const cwd = await makeTempDir('redis-ha-cluster-');
    t.after(() => removeDir(cwd));
    const r = await runMain(['render', 'cluster', '--shards', '2', '--port-base', '65532', '--replicas', '1', '--out', 'out'], cwd);
    assert.equal(r.code, EXIT.usage, r.io.err());
    assert.match(r.io.err(), /error: cluster\.shards \(--shards\): 2 shards: Redis Cluster needs at least 3 masters/);
    assert.match(r.io.err(), /error: portBase \(--port-base\): Number must be less than or equal to 65000/);
    assert.match(r.io.err(), /error: replicas \(--replicas\): replicas 1 means nothing in a cluster/);
    assert.match(r.io.err(), /nothing was written/);
    assert.equal(existsSync(join(cwd, 'out')), false);
  });
});

describe('cluster: synthesis', () => {
  const conf = (t: Topology, node: string, files = synthesize(t, FIXED_SECRETS)) => files.get(`redis/${node}.conf`)!.split('\n');

  it('every node: cluster-enabled, nodes.conf in its volume, the node timeout, its own announced name; no replicaof', () => {
    const t = topologyOf('cluster', { profile: 'fast' });
    const files = synthesize(t, FIXED_SECRETS);
    for (const n of redisNodes(t)) {
      const lines = conf(t, n.name, files);
      for (const line of ['cluster-enabled yes', 'cluster-config-file nodes.conf', 'cluster-node-timeout 2000', `cluster-announce-hostname ${n.name}`, 'cluster-preferred-endpoint-type hostname', 'dir /data']) {
        assert.ok(lines.includes(line), `${n.name}: ${line}`);
      }
      assert.equal(lines.some((l) => /^(replicaof|slaveof|tls-cluster) /.test(l)), false, `${n.name}: no replicaof, no tls-cluster without TLS`);
    }
  });

  it('with TLS the cluster bus speaks it too (tls-cluster yes)', () => {
    const t = topologyOf('cluster', { tls: { enabled: true } });
    assert.ok(conf(t, 'redis-4', synthesize(t, FIXED_SECRETS, {}, fixedTlsFiles(t))).includes('tls-cluster yes'));
  });

  it('the other presets render no cluster directive', () => {
    for (const preset of ['basic', 'sentinel', 'full'] as const) {
      const t = topologyOf(preset);
      assert.equal(conf(t, 'redis-1').some((l) => l.startsWith('cluster-')), false, preset);
    }
  });

  it('compose: every node publishes its client port (not the bus) on 127.0.0.1, with the secrets as files', () => {
    const t = topologyOf('cluster', { portBase: 23000 });
    const compose = parse(synthesize(t, FIXED_SECRETS).get('compose.yaml')!) as ComposeFile;
    assert.deepEqual(Object.keys(compose.services), ['redis-1', 'redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6']);
    assert.deepEqual(compose.services['redis-5']!.ports, ['127.0.0.1:23005:6379']);
    assert.deepEqual(compose.services['redis-5']!.secrets, ['replica', 'health', 'admin']);
    assert.equal(JSON.stringify(compose.services['redis-5']!.environment).includes(FIXED_SECRETS.admin), false, 'no secret in the environment');
  });
});

// CLUSTER NODES lines as Redis 7.0 writes them (hostname after the comma).
const NODES_TEXT = [
  'aaa1 172.22.0.7:6379@16379,redis-1 myself,master - 0 0 1 connected 0-5460',
  'bbb2 172.22.0.3:6379@16379,redis-2 master - 0 1796589267133 2 connected 5461-10922',
  'ccc3 172.22.0.5:6379@16379,redis-3 master,fail? - 1796589267133 1796589267030 3 disconnected 10923-16383 [16000->-ddd4]',
  'ddd4 :0@0,redis-4 slave,noaddr aaa1 0 1796589267034 1 disconnected',
  '',
].join('\n');

describe('cluster: what the nodes say', () => {
  it('CLUSTER NODES: ids, addresses, announced names, flags, masters, links, slot ranges', () => {
    const peers = parseClusterNodes(NODES_TEXT);
    assert.equal(peers.length, 4);
    assert.deepEqual(peers[0], { id: 'aaa1', ip: '172.22.0.7', port: 6379, hostname: 'redis-1', flags: ['myself', 'master'], configEpoch: 1, connected: true, slots: [[0, 5460]] });
    assert.deepEqual(peers[2]!.slots, [[10923, 16383]], 'a migrating slot entry is left out');
    assert.deepEqual(peers[2]!.openSlots, ['[16000->-ddd4]'], '... and kept apart');
    assert.deepEqual([peers[2]!.flags, peers[2]!.connected], [['master', 'fail?'], false]);
    assert.deepEqual([peers[3]!.ip, peers[3]!.masterId, peers[3]!.hostname], ['', 'aaa1', 'redis-4']);
  });

  it('CLUSTER INFO', () => {
    const info = parseClusterInfo('cluster_enabled:1\r\ncluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_known_nodes:6\r\ncluster_size:3\r\ncluster_current_epoch:6\r\n');
    assert.deepEqual(info, { state: 'ok', slotsAssigned: 16384, slotsOk: 16384, knownNodes: 6, size: 3, currentEpoch: 6 });
  });
});

const IPS = new Map(FORMED.map((m) => [m.service, m.ip]));
const SHARDS = clusterShards(topologyOf('cluster'));

describe('cluster: the creation plan, from what the nodes say', () => {
  it('fresh nodes (each knows only itself): slots on the masters first, each with its own config epoch', () => {
    const fresh = FORMED.map((m) => ({ ...m, master: undefined, slots: [] }));
    const plan = planCluster(SHARDS, states(fresh, () => undefined, { knownNodes: 1, currentEpoch: 0, size: 0 }), IPS);
    assert.deepEqual(plan.steps.filter((s) => s.kind === 'addslots'), [
      { kind: 'addslots', node: 'redis-1', slots: [0, 5460], epoch: 1 },
      { kind: 'addslots', node: 'redis-2', slots: [5461, 10922], epoch: 2 },
      { kind: 'addslots', node: 'redis-3', slots: [10923, 16383], epoch: 3 },
    ]);
    // redis-1 meets every other node at its address; nobody replicates yet (no node knows its master).
    assert.deepEqual(plan.steps.filter((s) => s.kind === 'meet').map((s) => s.kind === 'meet' && [s.from, s.to, s.ip]), [2, 3, 4, 5, 6].map((i) => ['redis-1', `redis-${i}`, `10.0.0.${i}`]));
    assert.equal(plan.steps.some((s) => s.kind === 'replicate'), false);
  });

  it('slots served and every node met: each replica replicates the master of its shard (by id)', () => {
    const met = FORMED.map((m) => ({ ...m, master: undefined }));
    const plan = planCluster(SHARDS, states(met), IPS);
    assert.deepEqual(plan, {
      steps: [
        { kind: 'replicate', node: 'redis-4', master: 'redis-1', masterId: 'id1' },
        { kind: 'replicate', node: 'redis-5', master: 'redis-2', masterId: 'id2' },
        { kind: 'replicate', node: 'redis-6', master: 'redis-3', masterId: 'id3' },
      ],
      waitingFor: [],
    });
  });

  it('a replica that has not learnt of its master yet is waited for, not sent an unknown id', () => {
    const met = FORMED.map((m) => ({ ...m, master: undefined }));
    const plan = planCluster(SHARDS, states(met, (viewer, p) => (viewer.service === 'redis-5' && p.id === 'id2' ? undefined : p)), IPS);
    assert.deepEqual(plan.waitingFor, ['redis-5 to learn of redis-2']);
    assert.equal(plan.steps.some((s) => s.kind === 'replicate' && s.node === 'redis-5'), false);
  });

  it('a formed cluster (a redeploy, a restart): nothing to do', () => {
    assert.deepEqual(planCluster(SHARDS, states(FORMED), IPS), { steps: [], waitingFor: [] });
  });

  it('after a failover the shard is whole with its roles swapped: still nothing to do', () => {
    const failedOver = FORMED.map((m) =>
      m.service === 'redis-1' ? { ...m, master: 'redis-4', slots: [] } : m.service === 'redis-4' ? { ...m, master: undefined, slots: [[0, 5460]] as [number, number][] } : m,
    );
    assert.deepEqual(planCluster(SHARDS, states(failedOver), IPS), { steps: [], waitingFor: [] });
  });

  it('a node that knows a restarted peer at its old address meets it at the new one', () => {
    const moved = new Map(IPS).set('redis-2', '10.0.0.9');
    const plan = planCluster(SHARDS, states(FORMED), moved);
    // Every node knew redis-2 at 10.0.0.2.
    assert.deepEqual(plan.steps.map((s) => s.kind === 'meet' && `${s.from}->${s.to}@${s.ip}`), ['redis-1', 'redis-3', 'redis-4', 'redis-5', 'redis-6'].map((f) => `${f}->redis-2@10.0.0.9`));
  });

  it('a node that knows a peer without an address (noaddr) meets it at its address', () => {
    const plan = planCluster(SHARDS, states(FORMED, (viewer, p) => (viewer.service === 'redis-3' && p.id === 'id5' ? { ...p, ip: '', flags: [...p.flags, 'noaddr'], connected: false } : p)), IPS);
    assert.deepEqual(plan.steps, [{ kind: 'meet', from: 'redis-3', to: 'redis-5', ip: '10.0.0.5' }]);
  });

  it('more masters than the topology has shards: refused, not reshaped (a rolling deploy drains shards first)', () => {
    const four: Member[] = [
      { service: 'redis-1', id: 'id1', ip: '10.0.0.1', slots: [[0, 4095]] },
      { service: 'redis-2', id: 'id2', ip: '10.0.0.2', slots: [[4096, 8191]] },
      { service: 'redis-3', id: 'id3', ip: '10.0.0.3', slots: [[8192, 12287]] },
      { service: 'redis-4', id: 'id4', ip: '10.0.0.4', slots: [[12288, 16383]] },
      ...FORMED.slice(4),
    ];
    assert.throws(() => planCluster(SHARDS, states(four, undefined, { size: 4 }), IPS), (err: Error) => err instanceof ClusterShapeError && /4 masters, the topology has 3 shards/.test(err.message));
  });

  it('slots in other ranges than the creation plan (a reshard, added shards): formed, nothing to do', () => {
    const moved = FORMED.map((m) => (m.service === 'redis-1' ? { ...m, slots: [[0, 4000]] as [number, number][] } : m.service === 'redis-2' ? { ...m, slots: [[4001, 10922]] as [number, number][] } : m));
    assert.deepEqual(planCluster(SHARDS, states(moved), IPS), { steps: [], waitingFor: [] });
  });
});

describe('cluster: what a creation run did, in a few words', () => {
  it('created, kept, or kept with peers met at new addresses', () => {
    assert.equal(summarizeClusterSteps([]), 'already formed: left as it is');
    assert.equal(summarizeClusterSteps(planCluster(SHARDS, states(FORMED), new Map(IPS).set('redis-2', '10.0.0.9')).steps), 'already formed; 5 CLUSTER MEET of peers at their new addresses');
    const fresh = FORMED.map((m) => ({ ...m, master: undefined, slots: [] }));
    const first = planCluster(SHARDS, states(fresh, () => undefined, { knownNodes: 1, currentEpoch: 0, size: 0 }), IPS).steps;
    assert.equal(summarizeClusterSteps(first), '3 slot range(s) assigned, 5 CLUSTER MEET, 0 CLUSTER REPLICATE');
  });
});

describe('cluster: the check', () => {
  const t = topologyOf('cluster');

  it('formed: ok, with each shard\'s master and replicas', () => {
    const { verdict, shards } = checkCluster(t, states(FORMED), { caughtUp: true });
    assert.equal(verdict.ok, true, verdict.detail);
    assert.deepEqual(shards, [
      { slots: '0-5460', master: 'redis-1', replicas: [{ service: 'redis-4', linkUp: true, lagBytes: 0 }] },
      { slots: '5461-10922', master: 'redis-2', replicas: [{ service: 'redis-5', linkUp: true, lagBytes: 0 }] },
      { slots: '10923-16383', master: 'redis-3', replicas: [{ service: 'redis-6', linkUp: true, lagBytes: 0 }] },
    ]);
  });

  it('cluster_state:fail or uncovered slots on one node fails, naming it', () => {
    const s = states(FORMED);
    s[2]!.info = { ...s[2]!.info!, state: 'fail', slotsOk: 10923 };
    const { verdict } = checkCluster(t, s, { caughtUp: false });
    assert.equal(verdict.ok, false);
    assert.match(verdict.detail, /redis-3 cluster_state:fail/);
    assert.match(verdict.detail, /redis-3 serves 10923 of 16384 slots/);
    assert.deepEqual(verdict.services, ['redis-3']);
  });

  it('nodes that disagree on the slot map fail', () => {
    const s = states(FORMED, (viewer, p) => (viewer.service === 'redis-6' && p.id === 'id2' ? { ...p, slots: [] } : p));
    const { verdict } = checkCluster(t, s, { caughtUp: false });
    assert.equal(verdict.ok, false);
    assert.match(verdict.detail, /redis-6 sees the slot map 0-5460=redis-1, 10923-16383=redis-3, redis-1 sees 0-5460=redis-1, 5461-10922=redis-2, 10923-16383=redis-3/);
  });

  it('a peer seen failed or disconnected, a replica link down, a lagging replica (caughtUp) each fail', () => {
    const failed = states(FORMED, (_viewer, p) => (p.id === 'id3' ? { ...p, flags: [...p.flags, 'fail'], connected: false } : p));
    assert.match(checkCluster(t, failed, { caughtUp: false }).verdict.detail, /redis-1 sees redis-3 disconnected/);
    const unlinked = states(FORMED);
    unlinked[4]!.replication = { ...unlinked[4]!.replication!, linkUp: false };
    assert.match(checkCluster(t, unlinked, { caughtUp: false }).verdict.detail, /redis-5 replication link to redis-2 is down/);
    const behind = states(FORMED);
    behind[5]!.replication = { ...behind[5]!.replication!, offset: 900 };
    assert.equal(checkCluster(t, behind, { caughtUp: false }).verdict.ok, true);
    assert.match(checkCluster(t, behind, { caughtUp: true }).verdict.detail, /redis-6 100 bytes behind redis-3/);
  });

  it('an unreachable node fails at once, naming it', () => {
    const s = states(FORMED);
    s[1] = { service: 'redis-2', hostPort: 23002, reachable: false, error: 'connect ECONNREFUSED' };
    const { verdict } = checkCluster(t, s, { caughtUp: false });
    assert.deepEqual([verdict.ok, verdict.detail, verdict.services], [false, 'redis-2 unreachable (connect ECONNREFUSED)', ['redis-2']]);
  });
});

describe('cluster: status prints each shard', () => {
  it('slots, master, replicas and their links; no single master in the heading', () => {
    const { verdict, shards } = checkCluster(topologyOf('cluster'), states(FORMED), { caughtUp: false });
    const snapshot: StatusSnapshot = {
      deployment: 'cl-unit',
      preset: 'cluster',
      takenAt: '2030-01-01T00:00:00Z',
      containerHealthcheckIntervalMs: 60000,
      healthy: true,
      containers: [],
      nodes: [],
      shards,
      sentinels: [],
      natMap: {},
      drift: [],
      checks: [{ name: 'cluster', ...verdict }],
    };
    const text = stripVTControlCharacters(formatStatus(snapshot));
    assert.match(text, /^cl-unit \(cluster\): . healthy\n/);
    assert.match(text, /Shards:\n {2}slots 0-5460 +master redis-1 +replicas redis-4 linked\n {2}slots 5461-10922 +master redis-2 +replicas redis-5 linked\n {2}slots 10923-16383 +master redis-3 +replicas redis-6 linked\n/);
    assert.match(text, /cluster +cluster_state:ok on all 6 nodes/);
  });
});

describe('cluster: the client snippets', () => {
  const t = topologyOf('cluster', { portBase: 23000 });
  const s = snippets(t, { username: 'app', password: 's3cret' }, false, '/work/.redis-ha/shop');

  it('ioredis Cluster with a natMap from the announced names to the published ports; the password read from its file', () => {
    assert.match(s.ioredis!, /import \{ Cluster \} from 'ioredis'; const redis = new Cluster\(\[\{ host: '127\.0\.0\.1', port: 23001 \}/);
    for (let i = 1; i <= 6; i++) assert.ok(s.ioredis!.includes(`'redis-${i}:6379': { host: '127.0.0.1', port: ${23000 + i} }`), `redis-${i}`);
    assert.match(s.ioredis!, /password: readFileSync\('\/work\/\.redis-ha\/shop\/secrets\/app', 'utf8'\)\.trim\(\)/);
    assert.equal(s.ioredis!.includes('s3cret'), false, 'never the password itself');
  });

  it('redis-py says address_remap needs redis-py 5', () => {
    assert.match(s.redisPy!, /address_remap needs redis-py >= 5\.0/);
    assert.match(s.redisPy!, /\("redis-3", 6379\): \("127\.0\.0\.1", 23003\)/);
    assert.match(s.redisPy!, /address_remap=lambda a: NAT\.get\(a, a\)/);
  });

  it('clients/env: every node and the natMap, no REDIS_URL of one node', () => {
    const env = Object.fromEntries(clientEnv({ topology: t, dir: '/d', app: { username: 'app', password: 's3cret' } }));
    assert.equal(env.REDIS_CLUSTER_NODES, '127.0.0.1:23001,127.0.0.1:23002,127.0.0.1:23003,127.0.0.1:23004,127.0.0.1:23005,127.0.0.1:23006');
    assert.match(env.REDIS_NAT_MAP!, /^redis-1:6379=127\.0\.0\.1:23001,redis-2:6379=127\.0\.0\.1:23002,/);
    assert.equal(env.REDIS_URL, undefined);
    assert.equal(env.REDIS_PASSWORD_FILE, '/d/secrets/app');
  });

  it('the options the program connects with are the printed ones', () => {
    const options = clusterClientOptions(t, { username: 'app', password: 's3cret' });
    assert.deepEqual(options.natMap, natMap(t));
    assert.deepEqual(options.redisOptions, { username: 'app', password: 's3cret' });
    assert.ok(s.ioredis!.includes(`retryDelayOnFailover: ${options.retryDelayOnFailover}`));
  });
});
