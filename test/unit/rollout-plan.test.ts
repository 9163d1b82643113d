// planRollout(): which services a deploy onto a live deployment touches, and in which order,
// from the rendered config hashes against the live labels (pure; hashes from synthesize()).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderedSentinelSettings } from '../../src/health/drift.js';
import type { PresetName, Topology } from '../../src/model/schema.js';
import { describeStep, planClusterRollout, planRollout, type RolloutInput } from '../../src/operations/rollout-plan.js';
import { refuseClusterReshape } from '../../src/commands/deploy.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderedConfigHashes, swarmRolloutInput } from '../../src/operations/rolling.js';
import { haproxyConfigHash } from '../../src/synth/configs.js';
import { STACK_FILE, synthesize, TOPOLOGY_FILE } from '../../src/synth/synthesize.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { topologyOf } from '../helpers/topology.js';

const hashesOf = (t: Topology) => renderedConfigHashes(synthesize(t, FIXED_SECRETS).get('compose.yaml')!);

/** A live deployment rendered from `before`, deployed again as `after`. */
function input(
  before: Topology,
  after: Topology,
  live: { master?: string; sentinelSettings?: Record<string, string>; haproxyLoaded?: string } = {},
): RolloutInput {
  const liveHashes = hashesOf(before);
  return {
    topology: after,
    renderedHashes: hashesOf(after),
    live: Object.entries(liveHashes).map(([service, configHash]) => ({ service, configHash })),
    master: live.master ?? 'redis-1',
    sentinelSettings: Object.keys(liveHashes)
      .filter((s) => s.startsWith('sentinel-'))
      .map((service) => ({ service, settings: live.sentinelSettings ?? renderedSentinelSettings(before) })),
    renderedSentinelSettings: renderedSentinelSettings(after),
    haproxyLoadedHash: before.haproxy.enabled ? (live.haproxyLoaded ?? haproxyConfigHash(before)) : undefined,
    haproxyRenderedHash: after.haproxy.enabled ? haproxyConfigHash(after) : undefined,
  };
}

const plan = (preset: PresetName, before: Record<string, unknown>, after: Record<string, unknown>, live = {}) =>
  planRollout(input(topologyOf(preset, before), topologyOf(preset, after), live)).steps.map(describeStep);

describe('rollout plan', () => {
  it('no change: no step', () => {
    assert.deepEqual(plan('full', {}, {}), []);
  });

  it('a redis.conf change: replicas one at a time, then a switchover, then the old master; nothing else', () => {
    assert.deepEqual(plan('full', {}, { redis: { maxmemory: '512mb' } }), [
      're-create redis-2 (replica)',
      're-create redis-3 (replica)',
      'switchover away from redis-1 (redis-1 runs an old config)',
      're-create redis-1 (the old master) as a replica',
    ]);
  });

  it('follows the live master, whichever node it is', () => {
    assert.deepEqual(plan('sentinel', {}, { redis: { maxmemoryPolicy: 'allkeys-lru' } }, { master: 'redis-2' }), [
      're-create redis-1 (replica)',
      're-create redis-3 (replica)',
      'switchover away from redis-2 (redis-2 runs an old config)',
      're-create redis-2 (the old master) as a replica',
    ]);
  });

  it('without Sentinels the master is re-created last, with no switchover', () => {
    assert.deepEqual(plan('basic', {}, { redis: { maxmemory: '1gb' } }), [
      're-create redis-2 (replica)',
      're-create redis-3 (replica)',
      're-create redis-1 (the old master) as a replica',
    ]);
  });

  it('a profile change default -> fast: SENTINEL SET on every Sentinel, no restart, HAProxy untouched; Prometheus re-created (its interval)', () => {
    assert.deepEqual(plan('full', { profile: 'default' }, { profile: 'fast' }), [
      'SENTINEL SET down-after-milliseconds 1000, failover-timeout 6000 on sentinel-1, sentinel-2, sentinel-3',
      're-create prometheus (prometheus)',
    ]);
  });

  it('a Sentinel that drifted by hand is set back, the others are left alone', () => {
    const t = topologyOf('sentinel', {});
    const i = input(t, t);
    i.sentinelSettings[1]!.settings = { ...renderedSentinelSettings(t), 'down-after-milliseconds': '9999' };
    assert.deepEqual(planRollout(i).steps, [
      { kind: 'sentinel-settings', changes: [{ service: 'sentinel-2', settings: { 'down-after-milliseconds': '5000' } }] },
    ]);
  });

  it('a HAProxy config change is a reload, an image change a re-creation', () => {
    assert.deepEqual(plan('full', {}, { haproxy: { checkIntervalMs: 1000 } }), ['reload HAProxy with its new config (master-worker, no connection dropped)']);
    assert.deepEqual(plan('full', {}, { haproxy: { image: 'haproxy:2.8-alpine' } }), ['re-create haproxy (haproxy)']);
    // A HAProxy that loaded something else (a config from before) is reloaded too.
    assert.deepEqual(plan('full', {}, {}, { haproxyLoaded: 'something-else' }), ['reload HAProxy with its new config (master-worker, no connection dropped)']);
  });

  it('scale up replicas: adds only the new node; no Sentinel restarts; HAProxy reloads (a new server); the exporter gets its new target', () => {
    assert.deepEqual(plan('full', { replicas: 2 }, { replicas: 3 }), [
      'add redis-4 (new replica)',
      'reload HAProxy with its new config (master-worker, no connection dropped)',
      // Its password file (one entry per target) is read at start only.
      're-create exporter (exporter)',
      // Its scrape config names the new node.
      're-create prometheus (prometheus)',
    ]);
  });

  it('monitoring turned on adds Prometheus, turned off removes it; a new scrape interval re-creates it', () => {
    assert.deepEqual(plan('full', { monitoring: { enabled: false } }, {}), ['add prometheus (new prometheus)']);
    assert.deepEqual(plan('full', {}, { monitoring: { enabled: false } }), ['remove prometheus']);
    assert.deepEqual(plan('full', {}, { monitoring: { prometheus: { scrapeInterval: '30s' } } }), ['re-create prometheus (prometheus)']);
  });

  it('Alertmanager turned on is added before Prometheus is re-created to send to it; off, removed after; a new receiver re-creates it alone', () => {
    const on = { monitoring: { alertmanager: { enabled: true } } };
    assert.deepEqual(plan('full', {}, on), ['add alertmanager (new alertmanager)', 're-create prometheus (prometheus)']);
    assert.deepEqual(plan('full', on, {}), ['re-create prometheus (prometheus)', 'remove alertmanager']);
    assert.deepEqual(plan('full', on, { monitoring: { alertmanager: { enabled: true, receiver: { webhookUrl: 'https://hooks.example.com/x' } } } }), [
      're-create alertmanager (alertmanager)',
    ]);
  });

  it('scale down replicas: removes, then resets every Sentinel; a removed master is switched away first, to a node that stays', () => {
    assert.deepEqual(plan('sentinel', { replicas: 3 }, { replicas: 1 }), [
      'remove redis-3, redis-4',
      'SENTINEL RESET on each Sentinel, one at a time (forget redis-3, redis-4)',
    ]);
    const p = planRollout(input(topologyOf('sentinel', { replicas: 3 }), topologyOf('sentinel', { replicas: 1 }), { master: 'redis-4' }));
    assert.deepEqual(p.steps[0], { kind: 'switchover', from: 'redis-4', avoid: ['redis-3', 'redis-4'], reason: 'redis-4 is removed (replicas: 1)' });
    assert.deepEqual(p.steps.slice(1).map(describeStep), [
      'remove redis-3, redis-4',
      'SENTINEL RESET on each Sentinel, one at a time (forget redis-3, redis-4)',
    ]);
    assert.equal(p.replicas, 3, 'the rollout runs with every node there until the removal');
  });

  it('scale Sentinels 5 -> 3 with quorum 3 -> 2: the quorum is set while all five run, then two go and the rest reset', () => {
    assert.deepEqual(plan('sentinel', { sentinel: { count: 5, quorum: 3 } }, { sentinel: { count: 3, quorum: 2 } }), [
      'SENTINEL SET quorum 2 on sentinel-1, sentinel-2, sentinel-3',
      'remove sentinel-4, sentinel-5',
      'SENTINEL RESET on each Sentinel, one at a time (forget sentinel-4, sentinel-5)',
    ]);
  });

  it('scale Sentinels 3 -> 5 with quorum 2 -> 3: new Sentinels first, then the quorum', () => {
    assert.deepEqual(plan('sentinel', {}, { sentinel: { count: 5, quorum: 3 } }), [
      'add sentinel-4 (new sentinel)',
      'add sentinel-5 (new sentinel)',
      'SENTINEL SET quorum 3 on sentinel-1, sentinel-2, sentinel-3',
    ]);
  });

  it('a script or image change re-creates Sentinels one at a time, after the replicas and before the master', () => {
    const steps = plan('sentinel', {}, { redis: { image: 'redis:7.2' } });
    assert.deepEqual(steps, [
      're-create redis-2 (replica)',
      're-create redis-3 (replica)',
      're-create sentinel-1 (sentinel)',
      're-create sentinel-2 (sentinel)',
      're-create sentinel-3 (sentinel)',
      'switchover away from redis-1 (redis-1 runs an old config)',
      're-create redis-1 (the old master) as a replica',
    ]);
  });
});

describe('rollout plan on swarm (the stack definitions decide what changed)', () => {
  const stackOf = (t: Topology) => synthesize(t, FIXED_SECRETS).get(STACK_FILE)!;
  const swarmPlan = (before: Record<string, unknown>, after: Record<string, unknown>) => {
    const [b, a] = [topologyOf('full', { target: 'swarm', ...before }), topologyOf('full', { target: 'swarm', ...after })];
    const liveHashes = renderedConfigHashes(stackOf(b));
    const i: RolloutInput = {
      topology: a,
      renderedHashes: renderedConfigHashes(stackOf(a)),
      live: Object.entries(liveHashes).map(([service, configHash]) => ({ service, configHash })),
      master: 'redis-1',
      sentinelSettings: ['sentinel-1', 'sentinel-2', 'sentinel-3'].map((service) => ({ service, settings: renderedSentinelSettings(b) })),
      renderedSentinelSettings: renderedSentinelSettings(a),
      haproxyLoadedHash: haproxyConfigHash(b),
      haproxyRenderedHash: haproxyConfigHash(a),
    };
    return planRollout({ ...i, ...swarmRolloutInput(i, stackOf(b), stackOf(a)) }).steps.map(describeStep);
  };

  it('a redis.conf change: the same order as on compose', () => {
    assert.deepEqual(swarmPlan({}, { redis: { maxmemory: '512mb' } }), [
      're-create redis-2 (replica)',
      're-create redis-3 (replica)',
      'switchover away from redis-1 (redis-1 runs an old config)',
      're-create redis-1 (the old master) as a replica',
    ]);
  });

  it('a Sentinel setting: set live, then each Sentinel re-created in turn (its swarm config is another object)', () => {
    const steps = swarmPlan({}, { sentinel: { downAfterMs: 4000 } });
    assert.match(steps[0]!, /^SENTINEL SET down-after-milliseconds 4000 on sentinel-1, sentinel-2, sentinel-3$/);
    assert.deepEqual(steps.slice(1), ['re-create sentinel-1 (sentinel)', 're-create sentinel-2 (sentinel)', 're-create sentinel-3 (sentinel)']);
  });

  it('no change: no step', () => {
    assert.deepEqual(swarmPlan({}, {}), []);
  });
});

describe('cluster rollout plan', () => {
  const clusterPlan = (before: Record<string, unknown>, after: Record<string, unknown>, masters = ['redis-1', 'redis-2', 'redis-3']) => {
    const b = topologyOf('cluster', before);
    const a = topologyOf('cluster', after);
    const liveHashes = hashesOf(b);
    return planClusterRollout({ topology: a, renderedHashes: hashesOf(a), live: Object.entries(liveHashes).map(([service, configHash]) => ({ service, configHash })), masters }).steps.map(describeStep);
  };

  it('a redis.conf change: every replica first, then each master after a CLUSTER FAILOVER away from it', () => {
    assert.deepEqual(clusterPlan({ redis: { persistence: 'aof' } }, { redis: { persistence: 'rdb' } }), [
      're-create redis-4 (replica)',
      're-create redis-5 (replica)',
      're-create redis-6 (replica)',
      'CLUSTER FAILOVER away from redis-1 to a replica of its shard (redis-1 runs an old config)',
      're-create redis-1 (the old master) as a replica',
      'CLUSTER FAILOVER away from redis-2 to a replica of its shard (redis-2 runs an old config)',
      're-create redis-2 (the old master) as a replica',
      'CLUSTER FAILOVER away from redis-3 to a replica of its shard (redis-3 runs an old config)',
      're-create redis-3 (the old master) as a replica',
    ]);
  });

  it('the masters are the live ones, not the creation plan: after failovers redis-4 and redis-2 serve slots', () => {
    const steps = clusterPlan({ redis: { persistence: 'aof' } }, { redis: { persistence: 'rdb' } }, ['redis-4', 'redis-2', 'redis-6']);
    assert.deepEqual(steps.slice(0, 3), ['re-create redis-1 (replica)', 're-create redis-3 (replica)', 're-create redis-5 (replica)']);
    assert.deepEqual(steps.filter((s) => s.startsWith('CLUSTER FAILOVER')).map((s) => s.split(' ')[4]), ['redis-2', 'redis-4', 'redis-6']);
  });

  it('another number of shards: the scale first, then the nodes that stay and changed', () => {
    const b = topologyOf('cluster', { redis: { persistence: 'aof' } });
    const a = topologyOf('cluster', { cluster: { shards: 4 }, redis: { persistence: 'rdb' } });
    const steps = planClusterRollout({
      topology: a,
      renderedHashes: hashesOf(a),
      live: Object.entries(hashesOf(b)).map(([service, configHash]) => ({ service, configHash })),
      masters: ['redis-1', 'redis-2', 'redis-3'],
      scale: { from: 3, start: ['redis-7', 'redis-8'], remove: [] },
    }).steps.map(describeStep);
    assert.equal(steps[0], 'add 1 shard(s) (3 -> 4): start redis-7, redis-8, move slots to even shares');
    assert.deepEqual(steps.slice(1, 4), ['re-create redis-4 (replica)', 're-create redis-5 (replica)', 're-create redis-6 (replica)']);
    assert.ok(!steps.some((x) => /redis-[78] /.test(x) && x.startsWith('re-create')), 'new nodes start with the new config');
  });

  it('nothing changed: no step; without replicas a master is re-created with no failover (its slots wait for it)', () => {
    assert.deepEqual(clusterPlan({}, {}), []);
    const bare = clusterPlan({ cluster: { replicasPerShard: 0 }, redis: { persistence: 'aof' } }, { cluster: { replicasPerShard: 0 }, redis: { persistence: 'rdb' } });
    assert.equal(bare.length, 3);
    assert.ok(bare.every((s) => s.startsWith('re-create redis-')), bare.join('\n'));
  });
});

describe('a live cluster keeps its shape', () => {
  const dirWith = async (t: Topology) => {
    const dir = await makeTempDir('redis-ha-reshape-');
    await writeFile(join(dir, TOPOLOGY_FILE), JSON.stringify(t));
    return dir;
  };
  const runtime = (running: boolean) => ({ containers: async () => (running ? [{ service: 'redis-1' }] : []) }) as never;

  it('another shape with the recreate strategy, or another preset, on a running cluster: refused (exit 2) naming both shapes and what to do; another shape rolling: allowed', async () => {
    const dir = await dirWith(topologyOf('cluster', {}));
    try {
      await assert.rejects(refuseClusterReshape(runtime(true), topologyOf('cluster', { cluster: { shards: 4 } }), dir, 'recreate'), (err: Error & { exitCode?: number; hint?: string }) => {
        assert.match(err.message, /runs 3 shards x 1 replica\(s\); this deploy asks for 4 shards x 1 replica\(s\), which the recreate strategy cannot do.*nothing was written or changed/);
        assert.match(err.hint ?? '', /--strategy rolling/);
        assert.equal(err.exitCode, 2);
        return true;
      });
      await refuseClusterReshape(runtime(true), topologyOf('cluster', { cluster: { shards: 4 } }), dir);
      await refuseClusterReshape(runtime(true), topologyOf('cluster', { cluster: { replicasPerShard: 2 } }), dir, 'rolling');
      await refuseClusterReshape(runtime(true), topologyOf('cluster', { cluster: { shards: 4 }, target: 'swarm', bind: '0.0.0.0' }), dir);
      await assert.rejects(refuseClusterReshape(runtime(true), topologyOf('sentinel', {}), dir), /asks for the sentinel preset/);
      // The same shape, or nothing running: allowed.
      await refuseClusterReshape(runtime(true), topologyOf('cluster', { redis: { persistence: 'rdb' } }), dir);
      await refuseClusterReshape(runtime(false), topologyOf('cluster', { cluster: { shards: 4 } }), dir);
    } finally {
      await removeDir(dir);
    }
  });

  it('a replicated deployment that is not becoming a cluster is not its business; no earlier render: allowed', async () => {
    const dir = await dirWith(topologyOf('sentinel', {}));
    try {
      await refuseClusterReshape(runtime(true), topologyOf('full', {}), dir);
      await assert.rejects(refuseClusterReshape(runtime(true), topologyOf('cluster', {}), dir), /runs the sentinel preset/);
    } finally {
      await removeDir(dir);
    }
    await refuseClusterReshape(runtime(true), topologyOf('cluster', {}), '/nonexistent/redis-ha-reshape');
  });
});
