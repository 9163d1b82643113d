// Adding and removing shards of a live cluster (operations/cluster-scale-plan.ts): which shards
// go, which nodes get which role, and the slot moves, from the cluster as it serves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLUSTER_SLOTS, clusterShards } from '../../src/model/cluster.js';
import { planShardChange, rebalanceMoves, slotShares, toRanges, type ScaleShard } from '../../src/operations/cluster-scale-plan.js';
import type { Topology } from '../../src/model/schema.js';

const nodes = (n: number) => Array.from({ length: n }, (_, i) => `redis-${i + 1}`);
/** The shards a cluster created as `shards` x `r` serves before any failover. */
const created = (shards: number, r: number): ScaleShard[] =>
  clusterShards({ cluster: { shards, replicasPerShard: r } } as Pick<Topology, 'cluster'>).map((s) => ({ master: s.master, replicas: s.replicas, slots: [s.slots] }));
const count = (ranges: [number, number][]) => ranges.reduce((a, [x, y]) => a + y - x + 1, 0);

/** Each master's slots after the moves, checked to cover every slot exactly once. */
function after(shards: ScaleShard[], moves: ReturnType<typeof rebalanceMoves>): Map<string, number> {
  const owner = new Map<number, string>();
  for (const s of shards) for (const [a, b] of s.slots) for (let x = a; x <= b; x++) owner.set(x, s.master);
  for (const m of moves) {
    for (const [a, b] of m.slots) {
      for (let x = a; x <= b; x++) {
        assert.equal(owner.get(x), m.from, `slot ${x} moved from ${m.from}, which did not serve it`);
        owner.set(x, m.to);
      }
    }
  }
  assert.equal(owner.size, CLUSTER_SLOTS);
  const out = new Map<string, number>();
  for (const m of owner.values()) out.set(m, (out.get(m) ?? 0) + 1);
  return out;
}

describe('slot shares and moves', () => {
  it('shares split as the creation splits them, summing to 16384', () => {
    assert.deepEqual(slotShares(3), [5461, 5462, 5461]);
    assert.deepEqual(slotShares(4), [4096, 4096, 4096, 4096]);
    for (const n of [3, 5, 7, 10]) assert.equal(slotShares(n).reduce((a, b) => a + b, 0), CLUSTER_SLOTS);
    assert.deepEqual(slotShares(3), clusterShards({ cluster: { shards: 3, replicasPerShard: 1 } } as Pick<Topology, 'cluster'>).map((s) => s.slots[1] - s.slots[0] + 1));
  });

  it('toRanges', () => {
    assert.deepEqual(toRanges([1, 2, 3, 7, 9, 10]), [[1, 3], [7, 7], [9, 10]]);
    assert.deepEqual(toRanges([]), []);
  });

  it('a balanced cluster needs no move; each giver gives its highest slots', () => {
    const shards = created(3, 1);
    assert.deepEqual(rebalanceMoves(shards, shards.map((s) => s.master), slotShares(3)), []);
    const moves = rebalanceMoves(shards, [...shards.map((s) => s.master), 'redis-7'], slotShares(4));
    assert.deepEqual(moves.map((m) => [m.from, m.to, m.slots]), [
      ['redis-1', 'redis-7', [[4096, 5460]]],
      ['redis-2', 'redis-7', [[9557, 10922]]],
      ['redis-3', 'redis-7', [[15019, 16383]]],
    ]);
  });
});

describe('adding and removing shards', () => {
  it('3 x 1 -> 4 x 1: redis-7 the new master, redis-8 its replica, a quarter of the slots to it, nothing removed', () => {
    const shards = created(3, 1);
    const plan = planShardChange({ shards, running: nodes(6), wanted: nodes(8), target: { shards: 4, replicasPerShard: 1 } });
    assert.deepEqual(plan.start, ['redis-7', 'redis-8']);
    assert.deepEqual(plan.newMasters, ['redis-7']);
    assert.deepEqual(plan.replicate, [{ node: 'redis-8', master: 'redis-7' }]);
    assert.deepEqual(plan.drain, []);
    assert.deepEqual(plan.remove, []);
    assert.deepEqual([...after(shards, plan.moves)].sort(), [['redis-1', 4096], ['redis-2', 4096], ['redis-3', 4096], ['redis-7', 4096]]);
  });

  it('3 x 2 -> 5 x 2: two new shards of three nodes each, round-robin as the creation places replicas', () => {
    const shards = created(3, 2);
    const plan = planShardChange({ shards, running: nodes(9), wanted: nodes(15), target: { shards: 5, replicasPerShard: 2 } });
    assert.deepEqual(plan.newMasters, ['redis-10', 'redis-11']);
    assert.deepEqual(plan.replicate, [
      { node: 'redis-12', master: 'redis-10' },
      { node: 'redis-13', master: 'redis-11' },
      { node: 'redis-14', master: 'redis-10' },
      { node: 'redis-15', master: 'redis-11' },
    ]);
    const shares = [...after(shards, plan.moves).values()].sort((a, b) => a - b);
    assert.deepEqual(shares, [...slotShares(5)].sort((a, b) => a - b));
  });

  it('4 x 1 (as created) -> 3 x 1: redis-4 drained and made the replica of redis-3 (whose replica redis-7 goes); redis-7 and redis-8 removed', () => {
    const shards = created(4, 1);
    const plan = planShardChange({ shards, running: nodes(8), wanted: nodes(6), target: { shards: 3, replicasPerShard: 1 } });
    assert.deepEqual(plan.drain, ['redis-4']);
    assert.deepEqual(plan.remove, ['redis-7', 'redis-8']);
    assert.deepEqual(plan.replicate, [{ node: 'redis-4', master: 'redis-3' }]);
    assert.deepEqual(plan.newMasters, []);
    assert.ok(plan.moves.every((m) => m.from === 'redis-4'), 'only the drained master gives');
    assert.deepEqual([...after(shards, plan.moves)].sort(), [['redis-1', 5461], ['redis-2', 5462], ['redis-3', 5461]]);
  });

  it('grown 3 x 1 -> 4 x 1 and back: the shard of redis-7 and redis-8 is the one drained; nothing to re-home', () => {
    const grown: ScaleShard[] = [
      { master: 'redis-1', replicas: ['redis-4'], slots: [[0, 4095]] },
      { master: 'redis-2', replicas: ['redis-5'], slots: [[5461, 9556]] },
      { master: 'redis-3', replicas: ['redis-6'], slots: [[10923, 15018]] },
      { master: 'redis-7', replicas: ['redis-8'], slots: [[4096, 5460], [9557, 10922], [15019, 16383]] },
    ];
    const plan = planShardChange({ shards: grown, running: nodes(8), wanted: nodes(6), target: { shards: 3, replicasPerShard: 1 } });
    assert.deepEqual(plan.drain, ['redis-7']);
    assert.deepEqual(plan.replicate, []);
    assert.deepEqual(plan.remove, ['redis-7', 'redis-8']);
    assert.equal(plan.moves.reduce((a, m) => a + count(m.slots), 0), 4096);
  });

  it('resumed after the slots were moved: nothing to drain, the removal is left', () => {
    const drained: ScaleShard[] = [
      { master: 'redis-1', replicas: ['redis-4'], slots: [[0, 5460]] },
      { master: 'redis-2', replicas: ['redis-5'], slots: [[5461, 10922]] },
      { master: 'redis-3', replicas: ['redis-6', 'redis-8'], slots: [[10923, 16383]] },
    ];
    const plan = planShardChange({ shards: drained, running: nodes(8), wanted: nodes(6), target: { shards: 3, replicasPerShard: 1 } });
    assert.deepEqual([plan.drain, plan.moves, plan.replicate, plan.remove], [[], [], [], ['redis-7', 'redis-8']]);
  });

  it('3 x 1 -> 4 x 2: each shard that stays gets one more replica, the new shard two', () => {
    const plan = planShardChange({ shards: created(3, 1), running: nodes(6), wanted: nodes(12), target: { shards: 4, replicasPerShard: 2 } });
    assert.deepEqual(plan.newMasters, ['redis-7']);
    assert.deepEqual(plan.replicate, [
      { node: 'redis-8', master: 'redis-1' },
      { node: 'redis-9', master: 'redis-2' },
      { node: 'redis-10', master: 'redis-3' },
      { node: 'redis-11', master: 'redis-7' },
      { node: 'redis-12', master: 'redis-7' },
    ]);
  });

  it('3 x 2 -> 3 x 1: the highest-numbered replica of each shard removed, no slot moved', () => {
    const plan = planShardChange({ shards: created(3, 2), running: nodes(9), wanted: nodes(6), target: { shards: 3, replicasPerShard: 1 } });
    assert.deepEqual([plan.drain, plan.moves, plan.replicate, plan.remove], [[], [], [], ['redis-7', 'redis-8', 'redis-9']]);
  });

  it('refused (exit 2) when a shard that stays has its master among the removed nodes', () => {
    const shards = created(4, 1);
    // After failovers redis-8 serves shard 4 and redis-7 shard 3: both shards have a removed master; only one can go.
    const failedOver: ScaleShard[] = [shards[0]!, shards[1]!, { master: 'redis-7', replicas: ['redis-3'], slots: shards[2]!.slots }, { master: 'redis-8', replicas: ['redis-4'], slots: shards[3]!.slots }];
    assert.throws(
      () => planShardChange({ shards: failedOver, running: nodes(8), wanted: nodes(6), target: { shards: 3, replicasPerShard: 1 } }),
      (err: Error & { exitCode?: number; hint?: string }) => err.exitCode === 2 && /redis-7 is the master of a shard that stays/.test(err.message) && /switchover/.test(err.hint ?? ''),
    );
  });
});
