// Which failover scenarios test-failover selects for a topology, and what it says when a
// scenario asked for by name cannot run: one row per (preset, replicas, Sentinels).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { SCENARIO_NAMES, SCENARIOS, selectScenarios } from '../../src/failover/scenarios.js';
import type { PresetName } from '../../src/model/schema.js';
import { topologyOf } from '../helpers/topology.js';

const FAILOVERS = ['kill-master', 'stop-master', 'pause-master', 'partition-master'];
const COMPOSE_ALL = [...FAILOVERS, 'kill-sentinel', 'sentinel-majority-loss', 'restart-replica', 'switchover', 'rolling-restart'];
const NODE_FAULTS = ['kill-node', 'partition-node', 'drain-node'];
const ALL = [...COMPOSE_ALL, ...NODE_FAULTS];

interface Row {
  preset: PresetName;
  replicas: number;
  /** [count, quorum]; undefined: the preset's (none for basic). */
  sentinels?: [number, number];
  /** The default selection (and `all`), or the exact error when nothing fits. */
  selected: string[] | { error: string };
  /** Reasons printed for the scenarios left out. */
  skipped?: string[];
  /** A scenario asked for by name that does not fit, and the exact message. */
  unfit?: { request: string[]; message: string };
}

const ROWS: Row[] = [
  {
    preset: 'basic',
    replicas: 2,
    selected: ['restart-replica'],
    skipped: [
      'kill-master needs Sentinels (it has none)',
      'stop-master needs Sentinels (it has none)',
      'pause-master needs Sentinels (it has none)',
      'partition-master needs Sentinels (it has none)',
      'kill-sentinel needs Sentinels that still reach the quorum and a majority with one of them down (it has none)',
      'sentinel-majority-loss needs at least 3 Sentinels, so that one still answers with a majority stopped (it has none)',
      'switchover needs Sentinels (it has none)',
      'rolling-restart needs Sentinels (it has none)',
    ],
    unfit: {
      request: ['kill-master', 'restart-replica'],
      message: 'cannot run on deployment redis-ha (preset basic, 2 replicas, no Sentinels): kill-master needs Sentinels (it has none)',
    },
  },
  {
    preset: 'basic',
    replicas: 0,
    selected: {
      error:
        'no failover scenario fits deployment redis-ha (preset basic, 0 replicas, no Sentinels): kill-master needs Sentinels (it has none) and at least 1 replica (it has 0); ' +
        'stop-master needs Sentinels (it has none) and at least 1 replica (it has 0); pause-master needs Sentinels (it has none) and at least 1 replica (it has 0); ' +
        'partition-master needs Sentinels (it has none) and at least 1 replica (it has 0); ' +
        'kill-sentinel needs Sentinels that still reach the quorum and a majority with one of them down (it has none) and at least 1 replica (it has 0); ' +
        'sentinel-majority-loss needs at least 3 Sentinels, so that one still answers with a majority stopped (it has none) and at least 1 replica (it has 0); ' +
        'restart-replica needs at least 1 replica (it has 0); switchover needs Sentinels (it has none) and at least 1 replica (it has 0); ' +
        'rolling-restart needs Sentinels (it has none) and at least 1 replica (it has 0)',
    },
    unfit: {
      request: ['restart-replica'],
      message: 'cannot run on deployment redis-ha (preset basic, 0 replicas, no Sentinels): restart-replica needs at least 1 replica (it has 0)',
    },
  },
  {
    preset: 'sentinel',
    replicas: 0,
    sentinels: [3, 2],
    selected: {
      error:
        'no failover scenario fits deployment redis-ha (preset sentinel, 0 replicas, 3 Sentinels): kill-master needs at least 1 replica (it has 0); ' +
        'stop-master needs at least 1 replica (it has 0); pause-master needs at least 1 replica (it has 0); partition-master needs at least 1 replica (it has 0); ' +
        'kill-sentinel needs at least 1 replica (it has 0); sentinel-majority-loss needs at least 1 replica (it has 0); restart-replica needs at least 1 replica (it has 0); ' +
        'switchover needs at least 1 replica (it has 0); rolling-restart needs at least 1 replica (it has 0)',
    },
    // Before: restart-replica ran with no replica ("no container for undefined") and
    // kill-master was refused for missing Sentinels.
    unfit: {
      request: ['restart-replica', 'kill-master'],
      message:
        'cannot run on deployment redis-ha (preset sentinel, 0 replicas, 3 Sentinels): kill-master needs at least 1 replica (it has 0); restart-replica needs at least 1 replica (it has 0)',
    },
  },
  { preset: 'sentinel', replicas: 1, sentinels: [3, 2], selected: COMPOSE_ALL, skipped: [] },
  { preset: 'sentinel', replicas: 2, sentinels: [5, 3], selected: COMPOSE_ALL, skipped: [] },
  { preset: 'full', replicas: 2, selected: COMPOSE_ALL, skipped: [] },
  {
    preset: 'sentinel',
    replicas: 2,
    sentinels: [2, 2],
    selected: [...FAILOVERS, 'restart-replica', 'switchover', 'rolling-restart'],
    skipped: [
      'kill-sentinel needs Sentinels that still reach the quorum and a majority with one of them down (it has 2 with quorum 2: 1 left, 2 needed)',
      'sentinel-majority-loss needs at least 3 Sentinels, so that one still answers with a majority stopped (it has 2)',
    ],
    unfit: {
      request: ['kill-sentinel'],
      message:
        'cannot run on deployment redis-ha (preset sentinel, 2 replicas, 2 Sentinels): kill-sentinel needs Sentinels that still reach the quorum and a majority with one of them down (it has 2 with quorum 2: 1 left, 2 needed)',
    },
  },
  {
    preset: 'sentinel',
    replicas: 1,
    sentinels: [1, 1],
    selected: [...FAILOVERS, 'restart-replica', 'switchover', 'rolling-restart'],
    skipped: [
      'kill-sentinel needs Sentinels that still reach the quorum and a majority with one of them down (it has 1 with quorum 1: 0 left, 1 needed)',
      'sentinel-majority-loss needs at least 3 Sentinels, so that one still answers with a majority stopped (it has 1)',
    ],
    unfit: {
      request: ['sentinel-majority-loss'],
      message:
        'cannot run on deployment redis-ha (preset sentinel, 1 replica, 1 Sentinel): sentinel-majority-loss needs at least 3 Sentinels, so that one still answers with a majority stopped (it has 1)',
    },
  },
  {
    // Quorum 3 of 3: with one Sentinel dead the other two cannot agree the master is down.
    preset: 'sentinel',
    replicas: 2,
    sentinels: [3, 3],
    selected: [...FAILOVERS, 'sentinel-majority-loss', 'restart-replica', 'switchover', 'rolling-restart'],
    skipped: ['kill-sentinel needs Sentinels that still reach the quorum and a majority with one of them down (it has 3 with quorum 3: 2 left, 3 needed)'],
  },
];

const usageMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, `not a UsageError: ${String(err)}`);
    return err.message;
  }
  assert.fail('no error thrown');
};

describe('failover scenario selection', () => {
  for (const row of ROWS) {
    const label = `${row.preset}, ${row.replicas} replica(s), ${row.sentinels ? `${row.sentinels[0]} Sentinel(s) quorum ${row.sentinels[1]}` : 'preset Sentinels'}`;
    it(label, () => {
      const t = topologyOf(row.preset, {
        replicas: row.replicas,
        ...(row.sentinels ? { sentinel: { count: row.sentinels[0], quorum: row.sentinels[1] } } : {}),
      });
      for (const request of [undefined, [], ['all'], ['all', 'kill-master']]) {
        if (Array.isArray(row.selected)) {
          const s = selectScenarios(t, request);
          assert.deepEqual(s.selected, row.selected, `request ${JSON.stringify(request)}`);
          assert.deepEqual(s.skipped, row.skipped ?? [], `request ${JSON.stringify(request)}`);
        } else {
          assert.equal(usageMessage(() => selectScenarios(t, request)), row.selected.error);
        }
      }
      if (row.unfit) assert.equal(usageMessage(() => selectScenarios(t, row.unfit!.request)), row.unfit.message);
      // Every fitting scenario can be asked for by name, in table order, de-duplicated.
      if (Array.isArray(row.selected)) {
        assert.deepEqual(selectScenarios(t, [...row.selected].reverse().concat(row.selected)).selected, row.selected);
      }
    });
  }

  it('node faults run on swarm only, and a compose deployment does not list them as skipped', () => {
    assert.deepEqual(selectScenarios(topologyOf('sentinel'), undefined), { selected: COMPOSE_ALL, skipped: [] });
    // Every compose scenario runs on swarm too (the rolling restart as forced service updates).
    assert.deepEqual(selectScenarios(topologyOf('sentinel', { target: 'swarm' }), undefined), { selected: ALL, skipped: [] });
    assert.equal(
      usageMessage(() => selectScenarios(topologyOf('sentinel'), ['kill-node'])),
      'cannot run on deployment redis-ha (preset sentinel, 2 replicas, 3 Sentinels): kill-node needs target swarm (it targets compose)',
    );
    // With 2 Sentinels one node's loss leaves no majority: named, not attempted.
    assert.match(
      usageMessage(() => selectScenarios(topologyOf('sentinel', { target: 'swarm', sentinel: { count: 2, quorum: 2 } }), ['kill-node'])),
      /kill-node needs Sentinels that still reach the quorum and a majority with one of them down \(it has 2 with quorum 2: 1 left, 2 needed\)/,
    );
  });

  it('names unknown scenarios and lists the valid ones', () => {
    assert.equal(usageMessage(() => selectScenarios(topologyOf('sentinel'), ['kill-everything'])), 'unknown scenario(s): kill-everything');
  });

  it('has one table: every scenario carries its description, expectation, expected text and needs', () => {
    assert.deepEqual([...SCENARIO_NAMES], ALL);
    for (const s of SCENARIOS) {
      assert.ok(s.description && s.expected && s.needs.length > 0 && typeof s.inject === 'function', s.name);
    }
  });
});
