// Swarm placement (src/model/placement.ts) and the swarm rules of src/model/rules.ts:
// which node each pinned service goes to, the labels redis-ha sets, what one host failure
// takes down, and the errors / warnings of `target: swarm`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hostFailureImpact,
  nodeLosses,
  nodesForHostHa,
  placementConstraint,
  placementLabels,
} from '../../src/model/placement.js';
import { natMap } from '../../src/model/nodes.js';
import type { Problem } from '../../src/model/problems.js';
import { checkRules } from '../../src/model/rules.js';
import { topologyOf } from '../helpers/topology.js';

const swarm = (preset: 'basic' | 'sentinel' | 'full', extra: Record<string, unknown> = {}) =>
  topologyOf(preset, { target: 'swarm', bind: '0.0.0.0', ...extra });
const at = (problems: Problem[], path: string) => problems.filter((p) => p.path === path);

describe('placement: where pinned services go', () => {
  it('without swarm.nodes, each redis-i and sentinel-i is pinned by its own node label', () => {
    const t = swarm('sentinel', { name: 'shop' });
    assert.equal(placementConstraint(t, 'redis-2'), 'node.labels.io.redis-ha.shop.redis-2 == true');
    assert.equal(placementConstraint(t, 'sentinel-3'), 'node.labels.io.redis-ha.shop.sentinel-3 == true');
  });

  it('with swarm.nodes, slot i goes to the i-th node, round robin when the list is short', () => {
    const t = swarm('full', { replicas: 3, swarm: { nodes: ['a', 'b', 'c'] } });
    assert.deepEqual(
      ['redis-1', 'redis-2', 'redis-3', 'redis-4', 'sentinel-1', 'sentinel-3'].map((s) => placementConstraint(t, s)),
      [
        'node.hostname == a',
        'node.hostname == b',
        'node.hostname == c',
        'node.hostname == a',
        'node.hostname == a',
        'node.hostname == c',
      ],
    );
  });

  it('placementLabels puts redis-i and sentinel-i on node i when there are enough nodes', () => {
    const t = swarm('sentinel', { name: 'shop' });
    assert.deepEqual(
      placementLabels(t, ['n1', 'n2', 'n3']),
      new Map([
        ['n1', ['io.redis-ha.shop.redis-1', 'io.redis-ha.shop.sentinel-1']],
        ['n2', ['io.redis-ha.shop.redis-2', 'io.redis-ha.shop.sentinel-2']],
        ['n3', ['io.redis-ha.shop.redis-3', 'io.redis-ha.shop.sentinel-3']],
      ]),
    );
  });

  it('placementLabels on fewer nodes: several labels on one node, none lost', () => {
    const labels = placementLabels(swarm('sentinel', { name: 'x' }), ['n1', 'n2']);
    assert.deepEqual(labels.get('n1'), ['io.redis-ha.x.redis-1', 'io.redis-ha.x.redis-3', 'io.redis-ha.x.sentinel-1', 'io.redis-ha.x.sentinel-3']);
    assert.deepEqual(labels.get('n2'), ['io.redis-ha.x.redis-2', 'io.redis-ha.x.sentinel-2']);
  });

  it('nodesForHostHa: one per Redis node, per Sentinel, per HAProxy replica', () => {
    assert.equal(nodesForHostHa(swarm('basic')), 3);
    assert.equal(nodesForHostHa(swarm('sentinel', { sentinel: { count: 5, quorum: 3 } })), 5);
    assert.equal(nodesForHostHa(swarm('full', { replicas: 1, sentinel: { count: 1, quorum: 1 }, swarm: { haproxyReplicas: 3 } })), 3);
  });
});

describe('hostFailureImpact: what one host failure takes down', () => {
  it('full on 3 nodes: nothing beyond a failover', () => {
    assert.deepEqual(hostFailureImpact(swarm('full'), 3), []);
  });

  it('full on 5 Sentinels over 3 nodes: still no warning (3 of 5 remain)', () => {
    assert.deepEqual(hostFailureImpact(swarm('full', { sentinel: { count: 5, quorum: 3 } }), 3), []);
  });

  it('full on 2 nodes: the node with two Redis nodes and two Sentinels is named, with what it takes down', () => {
    assert.deepEqual(hostFailureImpact(swarm('full'), 2, ['alpha', 'beta']), [
      {
        severity: 'warning',
        path: 'swarm',
        message:
          'on 2 nodes, losing alpha (redis-1, redis-3, sentinel-1, sentinel-3) means no automatic failover if the master is among them: ' +
          '1 of 3 Sentinels left, a failover needs 2; writes refused: 1 Redis node left, and the master needs 1 replica (redis.minReplicasToWrite)',
        hint: 'use at least 3 nodes (one per Redis node, per Sentinel, per HAProxy replica)',
      },
    ]);
  });

  it('full on 1 node: everything, HAProxy included', () => {
    const [only, ...rest] = hostFailureImpact(swarm('full'), 1);
    assert.equal(rest.length, 0);
    assert.match(only!.message, /^on 1 node, losing node 1 \(redis-1, redis-2, redis-3, sentinel-1, sentinel-2, sentinel-3\) means every Redis node/);
    assert.match(only!.message, /no HAProxy/);
  });

  it('basic on 2 nodes without minReplicasToWrite: a lost host costs copies, not availability', () => {
    assert.deepEqual(hostFailureImpact(swarm('basic'), 2), []);
    assert.deepEqual(
      nodeLosses(swarm('basic'), 2).map((l) => l.lost),
      [['redis-1', 'redis-3'], ['redis-2']],
    );
  });

  it('rejects a node count that is not a positive integer', () => {
    assert.throws(() => hostFailureImpact(swarm('full'), 0), /node count 0/);
  });
});

describe('rules: target swarm', () => {
  it('each preset on swarm with bind 0.0.0.0 and auth has no problem', () => {
    for (const preset of ['basic', 'sentinel', 'full'] as const) assert.deepEqual(checkRules(swarm(preset)), [], preset);
  });

  it('auth disabled is an error (host-mode ports bind every address of the node)', () => {
    const problems = checkRules(swarm('sentinel', { auth: { enabled: false } }));
    assert.deepEqual(at(problems, 'auth.enabled').map((p) => p.severity), ['error']);
    assert.match(at(problems, 'auth.enabled')[0]!.message, /every address of the node/);
  });

  it('a bind address other than 0.0.0.0 is a warning that it does not apply', () => {
    const problems = checkRules(topologyOf('sentinel', { target: 'swarm' }));
    assert.deepEqual(problems.map((p) => [p.severity, p.path]), [['warning', 'bind']]);
    assert.match(problems[0]!.message, /bind 127\.0\.0\.1 does not apply on swarm/);
  });

  it('a node listed twice is an error at its index', () => {
    const problems = checkRules(swarm('sentinel', { swarm: { nodes: ['a', 'b', 'a'] } }));
    assert.deepEqual(at(problems, 'swarm.nodes.2').map((p) => p.message), ['node "a" is listed twice']);
  });

  it('expectNodes that contradicts the node list is an error', () => {
    const problems = checkRules(swarm('sentinel', { swarm: { nodes: ['a', 'b', 'c'], expectNodes: 2 } }));
    assert.equal(at(problems, 'swarm.expectNodes')[0]?.severity, 'error');
  });

  it('too few named nodes: the host-failure warning at swarm.nodes, with node names', () => {
    const problems = checkRules(swarm('sentinel', { swarm: { nodes: ['a', 'b'] } }));
    assert.deepEqual(problems.map((p) => [p.severity, p.path]), [['warning', 'swarm.nodes']]);
    assert.match(problems[0]!.message, /^on 2 nodes, losing a \(redis-1, redis-3, sentinel-1, sentinel-3\)/);
  });

  it('swarm.expectNodes alone gives the same warning at swarm.expectNodes', () => {
    const problems = checkRules(swarm('sentinel', { swarm: { expectNodes: 2 } }));
    assert.deepEqual(problems.map((p) => [p.severity, p.path]), [['warning', 'swarm.expectNodes']]);
  });

  it('a long name is an error: it prefixes Swarm config names (64 characters at most)', () => {
    const problems = checkRules(swarm('sentinel', { name: 'a'.repeat(33) }));
    assert.deepEqual(at(problems, 'name').map((p) => p.severity), ['error']);
  });

  it('swarm settings with target compose are a warning that they are ignored', () => {
    const problems = checkRules(topologyOf('sentinel', { swarm: { expectNodes: 3 } }));
    assert.deepEqual(problems.map((p) => [p.severity, p.path]), [['warning', 'swarm']]);
  });
});

describe('natMap on swarm: announced name -> node address:published port', () => {
  it('maps each service to the address of the node that runs it', () => {
    const t = swarm('sentinel', { portBase: 8000 });
    const nodeAddress: Record<string, string> = { n1: '10.77.0.11', n2: '10.77.0.12', n3: '10.77.0.13' };
    const nodeOfService = new Map<string, string>();
    for (const [node, labels] of placementLabels(t, Object.keys(nodeAddress))) {
      for (const label of labels) nodeOfService.set(label.split('.').pop()!, node);
    }
    const map = natMap(t, (service) => nodeAddress[nodeOfService.get(service)!]!);
    assert.deepEqual(map['redis-2:6379'], { host: '10.77.0.12', port: 8002 });
    assert.deepEqual(map['sentinel-3:26379'], { host: '10.77.0.13', port: 8103 });
  });
});
