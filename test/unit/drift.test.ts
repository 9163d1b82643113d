// findDrift(): live settings against the rendered ones (pure).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findDrift, memoryBytes, renderedRedisSettings, renderedSentinelSettings } from '../../src/health/drift.js';
import type { DriftProbe } from '../../src/probes/drift.js';
import { haproxyConfigHash } from '../../src/synth/configs.js';
import { topologyOf } from '../helpers/topology.js';

describe('drift', () => {
  const t = topologyOf('full', { profile: 'fast', redis: { maxmemory: '256mb' } });
  const clean = (): DriftProbe => ({
    nodes: ['redis-1', 'redis-2', 'redis-3'].map((service) => ({ service, settings: renderedRedisSettings(t) })),
    sentinels: ['sentinel-1', 'sentinel-2', 'sentinel-3'].map((service) => ({ service, settings: { ...renderedSentinelSettings(t), flags: 'master' } })),
    haproxy: { configHash: haproxyConfigHash(t) },
  });

  it('memory sizes as CONFIG GET reports them', () => {
    assert.equal(memoryBytes(0), '0');
    assert.equal(memoryBytes('256mb'), String(256 * 1024 * 1024));
    assert.equal(memoryBytes('1g'), '1000000000');
    assert.equal(memoryBytes('10KB'), '10240');
  });

  it('a deployment running the rendered settings has none', () => {
    assert.deepEqual(findDrift(t, clean()), []);
  });

  it('names the node, the setting, the live and the rendered value', () => {
    const p = clean();
    p.nodes[1]!.settings = { ...p.nodes[1]!.settings, maxmemory: '0' };
    p.sentinels[2]!.settings = { ...p.sentinels[2]!.settings, 'down-after-milliseconds': '5000' };
    p.haproxy = { configHash: 'old' };
    assert.deepEqual(findDrift(t, p), [
      { service: 'redis-2', setting: 'maxmemory', live: '0', rendered: '268435456' },
      { service: 'sentinel-3', setting: 'down-after-milliseconds', live: '5000', rendered: '1000' },
      { service: 'haproxy', setting: 'config hash', live: 'old', rendered: haproxyConfigHash(t) },
    ]);
  });

  it('a HAProxy that serves no hash (a config from before) is drift; one that does not answer is left to the haproxy check', () => {
    assert.deepEqual(findDrift(t, { ...clean(), haproxy: { error: 'HTTP 503' } }).map((d) => d.live), ['none (HTTP 503)']);
    assert.deepEqual(findDrift(t, { ...clean(), haproxy: { error: 'ECONNREFUSED' } }), []);
  });

  it('nodes that did not answer are left to the other checks', () => {
    const p = clean();
    p.nodes[0] = { service: 'redis-1' };
    assert.deepEqual(findDrift(t, p), []);
  });
});
