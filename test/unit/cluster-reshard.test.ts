// The pure parts of reshard: the --slots range, who serves which slot now, the slot lists as
// status shows them, and a key's shard after a reshard (live ranges, not the creation plan's).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveShardRanges, parseSlotRanges, shardOfSlotIn } from '../../src/model/cluster.js';
import { formatSlots, parseSlotRange, slotOwners } from '../../src/operations/cluster-reshard.js';
import { longestAckGap } from '../../src/commands/reshard.js';

describe('reshard: --slots', () => {
  it('a range or one slot, inclusive', () => {
    assert.deepEqual(parseSlotRange('0-1999'), [0, 1999]);
    assert.deepEqual(parseSlotRange(' 42 '), [42, 42]);
    assert.deepEqual(parseSlotRange('16383'), [16383, 16383]);
  });

  it('a reversed range, a slot past 16383, anything else: exit 2 with an example', () => {
    for (const bad of ['100-50', '16384', '0-16384', 'a-b', '-1', '1-2-3', '']) {
      assert.throws(() => parseSlotRange(bad), (err: Error & { exitCode?: number; hint?: string }) => {
        assert.equal(err.exitCode, 2, bad);
        assert.match(err.message, /expected a slot or a range FIRST-LAST within 0-16383/);
        assert.match(err.hint ?? '', /--slots 0-1000/);
        return true;
      });
    }
  });
});

describe('reshard: who gives which slots', () => {
  const owners = [
    { service: 'redis-1', slots: [[0, 5460]] as [number, number][] },
    { service: 'redis-2', slots: [[5461, 10922]] as [number, number][] },
    { service: 'redis-3', slots: [[10923, 16383]] as [number, number][] },
  ];

  it('a range across two masters: each gives its part', () => {
    const m = slotOwners(owners, [5459, 5462]);
    assert.deepEqual([...m.entries()], [
      ['redis-1', [5459, 5460]],
      ['redis-2', [5461, 5462]],
    ]);
  });

  it('slots listed as status shows them', () => {
    assert.equal(formatSlots([0, 1, 2, 5, 7, 8]), '0-2 5 7-8');
    assert.equal(formatSlots([]), '');
  });
});

describe("a key's shard after a reshard", () => {
  it('the live ranges decide, several per shard, numbered in slot order', () => {
    const shards = liveShardRanges([{ slots: '0-1999 5461-10922' }, { slots: '2000-5460' }, { slots: '10923-16383' }]);
    assert.deepEqual(shards[0], { shard: 1, ranges: [[0, 1999], [5461, 10922]] });
    assert.equal(shardOfSlotIn(shards, 1500), 1);
    assert.equal(shardOfSlotIn(shards, 6000), 1);
    assert.equal(shardOfSlotIn(shards, 3000), 2);
    assert.equal(shardOfSlotIn(shards, 16383), 3);
    assert.deepEqual(parseSlotRanges('7 9-10'), [[7, 7], [9, 10]]);
    assert.throws(() => shardOfSlotIn(liveShardRanges([{ slots: '0-10' }]), 11), /slot 11 is in no shard/);
  });
});

describe("reshard: what the measuring client saw", () => {
  it('the longest wait between two acknowledged writes, by acknowledgement; fewer than two: none', () => {
    const op = (end: number, outcome: 'ok' | 'failed' = 'ok') => ({ via: 'cluster' as const, key: `k${end}`, value: '1', start: end - 1, end, outcome });
    assert.equal(longestAckGap([op(10), op(30), op(25), op(500, 'failed'), op(90)]), 60);
    assert.equal(longestAckGap([op(10)]), null);
  });
});
