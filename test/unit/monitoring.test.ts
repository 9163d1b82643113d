// Monitoring (docs/monitoring.md): the model's rules, the Prometheus service and its files, and
// the status check. promtool reads the rendered files in test/integration/real-tools.test.ts;
// a live Prometheus scrapes a real deployment in test/integration/deploy.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { parse } from 'yaml';
import { checkMonitoring } from '../../src/health/status.js';
import { checkRules } from '../../src/model/rules.js';
import type { PrometheusProbe } from '../../src/probes/http.js';
import type { ComposeFile } from '../../src/synth/compose.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { problemsOf, topologyOf } from '../helpers/topology.js';

const filesOf = (preset: 'basic' | 'sentinel' | 'full', overrides: Record<string, unknown> = {}, secrets = FIXED_SECRETS) =>
  synthesize(topologyOf(preset, overrides), secrets);
const composeOf = (files: Map<string, string>) => parse(files.get('compose.yaml')!) as ComposeFile;

describe('monitoring: the model', () => {
  it('on in full, off in basic and sentinel; the port is portBase + 203', () => {
    assert.equal(topologyOf('full').monitoring.enabled, true);
    assert.equal(topologyOf('sentinel').monitoring.enabled, false);
    assert.equal(topologyOf('basic').monitoring.enabled, false);
    assert.equal(topologyOf('full', { portBase: 8000 }).monitoring.prometheus.port, 8203);
  });

  it('without HAProxy or the exporter it is refused at monitoring.enabled, naming what is missing', () => {
    const problems = checkRules(topologyOf('sentinel', { monitoring: { enabled: true } }));
    const p = problems.filter((x) => x.path === 'monitoring.enabled');
    assert.equal(p.length, 1);
    assert.equal(p[0]!.severity, 'error');
    assert.match(p[0]!.message, /no HAProxy and no exporter/);
    assert.match(p[0]!.hint ?? '', /full preset/);
    const noExporter = checkRules(topologyOf('full', { exporter: { enabled: false } })).filter((x) => x.path === 'monitoring.enabled');
    assert.match(noExporter[0]!.message, /no exporter$/);
  });

  it('a scrape interval or retention that is not a Prometheus duration is refused (exit 2 path), with the field', async () => {
    for (const [field, value] of [['scrapeInterval', '15'], ['scrapeInterval', '1s1m'], ['retention', '0d'], ['retention', '15 days']] as const) {
      const r = await problemsOf({ preset: 'full', overrides: [{ path: `monitoring.prometheus.${field}`, value, flag: 'test' }] });
      assert.equal(r.valid, false, `${field}: ${value}`);
      assert.ok(r.problems.some((p) => p.path === `monitoring.prometheus.${field}` && /Prometheus duration/.test(p.message)), JSON.stringify(r.problems));
    }
    const ok = await problemsOf({ preset: 'full', overrides: [{ path: 'monitoring.prometheus.scrapeInterval', value: '1m30s', flag: 'test' }] });
    assert.equal(ok.valid, true, JSON.stringify(ok.problems));
  });

  it('its port collides like any other published port', () => {
    const t = topologyOf('full', { monitoring: { prometheus: { port: 7200 } } });
    assert.ok(checkRules(t).some((p) => p.path === 'monitoring.prometheus.port' && /already used by haproxy/.test(p.message)));
  });

  it('on swarm: Prometheus pinned to the last node (its volume is there), its files as Swarm configs, its login a Swarm secret', async () => {
    const r = await problemsOf({ preset: 'full', overrides: [{ path: 'target', value: 'swarm', flag: '--target' }] });
    assert.equal(r.valid, true, JSON.stringify(r.problems));
    assert.ok(!r.problems.some((p) => p.path === 'monitoring.enabled'), JSON.stringify(r.problems));
    const t = topologyOf('full', { target: 'swarm', swarm: { nodes: ['n1', 'n2', 'n3'] } });
    assert.equal(t.monitoring.enabled, true);
    type Service = { deploy: { placement?: { constraints?: string[] } }; configs: { target: string }[]; secrets: { source: string; uid?: string }[]; volumes: unknown[] };
    const stack = parse(synthesize(t, FIXED_SECRETS).get('stack.yaml')!) as { services: Record<string, Service> };
    const p = stack.services.prometheus!;
    // The last node: away from node 1, where redis-1 (the first master) runs.
    assert.deepEqual(p.deploy.placement?.constraints, ['node.hostname == n3']);
    assert.deepEqual(p.configs.map((c) => c.target).sort(), ['/etc/prometheus/alerts.yml', '/etc/prometheus/prometheus.yml', '/etc/prometheus/web.yml']);
    assert.deepEqual(p.secrets.map((s) => [s.source, s.uid]), [['haproxy-stats', '65534']]);
    assert.ok(p.volumes.includes('prometheus-data:/prometheus'));
    // Without named nodes: redis-ha's node label, as for the Redis nodes.
    const labelled = parse(synthesize(topologyOf('full', { target: 'swarm' }), FIXED_SECRETS).get('stack.yaml')!) as { services: Record<string, Service> };
    assert.deepEqual(labelled.services.prometheus!.deploy.placement?.constraints, ['node.labels.io.redis-ha.redis-ha.prometheus == true']);
  });
});

describe('monitoring: the Prometheus service and its files', () => {
  const files = filesOf('full');
  const prometheus = composeOf(files).services.prometheus!;

  it('the official image contract, hardened, its port on bind, data in a named volume, the stats secret', () => {
    assert.equal(prometheus.image, 'prom/prometheus:v2.53.2');
    assert.equal(prometheus.user, '65534:65534');
    assert.deepEqual(prometheus.cap_drop, ['ALL']);
    assert.equal(prometheus.read_only, true);
    assert.deepEqual(prometheus.ports, ['127.0.0.1:7203:9090']);
    assert.deepEqual(prometheus.volumes, ['./prometheus:/etc/prometheus:ro', 'prometheus-data:/prometheus']);
    assert.deepEqual(prometheus.secrets, ['haproxy-stats']);
    assert.deepEqual(prometheus.command, [
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/prometheus',
      '--storage.tsdb.retention.time=15d',
      '--web.config.file=/etc/prometheus/web.yml',
    ]);
    assert.ok(composeOf(files).volumes['prometheus-data']);
  });

  it('web.yml: the bcrypt hash of the stats password, the same at every render, another for another password', () => {
    const web = files.get('prometheus/web.yml')!;
    const hash = /^ {2}stats: (\S+)$/m.exec(web)?.[1] ?? '';
    assert.equal(bcrypt.compareSync(FIXED_SECRETS['haproxy-stats'], hash), true);
    assert.equal(bcrypt.compareSync(FIXED_SECRETS.app, hash), false);
    assert.equal(filesOf('full').get('prometheus/web.yml'), web, 'deterministic');
    const other = filesOf('full', {}, { ...FIXED_SECRETS, 'haproxy-stats': 'x'.repeat(43) }).get('prometheus/web.yml')!;
    assert.notEqual(other, web);
    assert.doesNotMatch(web, new RegExp(FIXED_SECRETS['haproxy-stats']), 'no plain password');
  });

  it('a changed scrape interval re-creates Prometheus (config hash); a rotated stats password does not (web.yml is re-read)', () => {
    const hashOf = (f: Map<string, string>) => composeOf(f).services.prometheus!.labels['io.redis-ha.config-hash'];
    assert.notEqual(hashOf(filesOf('full', { monitoring: { prometheus: { scrapeInterval: '5s' } } })), hashOf(files));
    assert.equal(hashOf(filesOf('full', {}, { ...FIXED_SECRETS, 'haproxy-stats': 'y'.repeat(43) })), hashOf(files));
    assert.match(filesOf('full', { monitoring: { prometheus: { scrapeInterval: '5s' } } }).get('prometheus/prometheus.yml')!, /scrape_interval: 5s/);
  });

  it('without users: no login file and no --web.config.file', () => {
    const open = filesOf('full', { auth: { enabled: false } });
    assert.equal(open.has('prometheus/web.yml'), false);
    assert.ok(!composeOf(open).services.prometheus!.command!.some((a) => a.startsWith('--web.config.file')));
  });
});

describe('monitoring: the status check', () => {
  const probe = (p: Partial<PrometheusProbe>): PrometheusProbe => ({ reachable: true, ready: true, targets: { up: 9, unknown: 0, down: [] }, firing: [], ...p });

  it('ready with every target up (or not scraped yet) passes and names the firing alerts', () => {
    assert.deepEqual(checkMonitoring(probe({})), { name: 'monitoring', ok: true, detail: 'Prometheus ready, 9 of 9 targets up; alerts firing: none' });
    const c = checkMonitoring(probe({ targets: { up: 7, unknown: 2, down: [] }, firing: ['RedisMasterChanged'] }));
    assert.equal(c.ok, true);
    assert.equal(c.detail, 'Prometheus ready, 7 of 9 targets up (2 not scraped yet); alerts firing: RedisMasterChanged');
  });

  it('unreachable, not ready, or a target down fails, naming the target and its error', () => {
    assert.equal(checkMonitoring(probe({ reachable: false, error: 'ECONNREFUSED' })).detail, 'Prometheus unreachable: ECONNREFUSED');
    assert.equal(checkMonitoring(probe({ ready: false })).ok, false);
    // Ready, its targets not listed yet (the 5-10 s after every start): healthy, and said so.
    const empty = checkMonitoring(probe({ targets: { up: 0, unknown: 0, down: [] } }));
    assert.equal(empty.ok, true);
    assert.match(empty.detail, /^Prometheus ready, its targets not listed yet/);
    // ... unless its Alertmanager is not ready.
    const noAm = checkMonitoring(probe({ targets: { up: 0, unknown: 0, down: [] } }), { ready: false, error: 'HTTP 503' });
    assert.equal(noAm.ok, false);
    assert.deepEqual(noAm.services, ['alertmanager']);
    const down = checkMonitoring(probe({ targets: { up: 8, unknown: 0, down: [{ job: 'j', instance: 'redis-2', error: 'HTTP 503' }] } }));
    assert.equal(down.ok, false);
    assert.deepEqual(down.services, ['prometheus']);
    assert.match(down.detail, /1 of 9 targets down \(redis-2: HTTP 503\)/);
  });

  it('a target that failed only before the scrape path answered is stale, not down; one that failed after it is down', () => {
    const answered = new Date('2026-12-06T10:00:05Z');
    const targets = {
      up: 7,
      unknown: 0,
      down: [
        { job: 'j', instance: 'redis-1', error: 'connection refused', lastScrape: '2026-12-06T10:00:01Z' },
        { job: 'j', instance: 'redis-2', error: 'connection refused', lastScrape: '2026-12-06T10:00:03Z' },
      ],
    };
    const stale = checkMonitoring(probe({ targets }), undefined, answered);
    assert.equal(stale.ok, true);
    assert.equal(stale.detail, 'Prometheus ready, 7 of 9 targets up (2 failed only before the nodes answered); alerts firing: none');
    // Without the cut-off (the path did not answer in this snapshot) both are down.
    assert.match(checkMonitoring(probe({ targets })).detail, /2 of 9 targets down/);
    // A failed scrape after the path answered, or one Prometheus gave no time for, is down.
    const later = { ...targets, down: [{ ...targets.down[0]!, lastScrape: '2026-12-06T10:00:06Z' }, { job: 'j', instance: 'redis-3', error: 'EOF' }] };
    const c = checkMonitoring(probe({ targets: later }), undefined, answered);
    assert.equal(c.ok, false);
    assert.match(c.detail, /2 of 9 targets down \(redis-1: connection refused; redis-3: EOF\)/);
  });
});

describe('monitoring: alerts read back for a scenario', () => {
  // Every 2 s (the fast profile's interval); the fault at 100 s, the heal at 110 s, the end at 130 s.
  const w = { start: 90_000, fault: 100_000, heal: 110_000, end: 130_000, stepMs: 2000 };
  const series = (alertname: string, from: number, to: number, labels: Record<string, string> = {}) => ({
    metric: { __name__: 'ALERTS', alertname, alertstate: 'firing', ...labels },
    values: Array.from({ length: Math.floor((to - from) / 2) + 1 }, (_, i) => [from + 2 * i, '1'] as [number, string]),
  });

  it('times each alert from the fault, and its resolution from the heal; still firing at the end is null', async () => {
    const { firedAlerts } = await import('../../src/failover/alerts.js');
    const fired = firedAlerts([series('RedisNodeDown', 102, 112, { instance: 'redis-1' }), series('RedisMasterChanged', 104, 130)], w);
    assert.deepEqual(fired, [
      { alert: 'RedisNodeDown', firedAfterMs: 2000, resolvedAfterHealMs: 4000 },
      { alert: 'RedisMasterChanged', firedAfterMs: 4000, resolvedAfterHealMs: null },
    ]);
  });

  it("an alert already firing at the fault (the previous scenario's master change) is not this one's; a new series of it after the fault is", async () => {
    const { firedAlerts } = await import('../../src/failover/alerts.js');
    assert.deepEqual(firedAlerts([series('RedisMasterChanged', 80, 120, { master_address: 'redis-2:6379' })], w), []);
    const both = firedAlerts([series('RedisMasterChanged', 80, 120, { master_address: 'redis-2:6379' }), series('RedisMasterChanged', 106, 130, { master_address: 'redis-3:6379' })], w);
    assert.deepEqual(both, [{ alert: 'RedisMasterChanged', firedAfterMs: 6000, resolvedAfterHealMs: null }]);
  });

  it('the failover scenarios expect the alerts that always fire with them', async () => {
    const { scenario } = await import('../../src/failover/scenarios.js');
    assert.deepEqual(scenario('kill-master').alerts, ['RedisNodeDown', 'RedisMasterChanged']);
    assert.deepEqual(scenario('pause-master').alerts, ['RedisMasterChanged', 'RedisMultipleMasters']);
    assert.deepEqual(scenario('sentinel-majority-loss').alerts, ['RedisNodeDown', 'RedisSentinelQuorumLost']);
    assert.equal(scenario('restart-replica').alerts, undefined);
  });

  it('durations and the fast profile: alerts evaluated every 2 s, `for` one or two evaluations', async () => {
    const { durationMs } = await import('../../src/model/duration.js');
    assert.equal(durationMs('1m30s'), 90_000);
    assert.equal(durationMs('500ms'), 500);
    assert.equal(durationMs('15d'), 15 * 86_400_000);
    const fast = topologyOf('full', { profile: 'fast' });
    assert.equal(fast.monitoring.prometheus.scrapeInterval, '2s');
    assert.equal(topologyOf('full').monitoring.prometheus.scrapeInterval, '15s');
    const alerts = synthesize(fast, FIXED_SECRETS).get('prometheus/alerts.yml')!;
    assert.match(alerts, /- alert: RedisNoMaster\n\s+expr: .*\n\s+for: 2s/);
    assert.match(alerts, /- alert: RedisReplicationLagHigh\n\s+expr: .*\n\s+for: 4s/);
    assert.match(synthesize(fast, FIXED_SECRETS).get('prometheus/prometheus.yml')!, /evaluation_interval: 2s/);
  });
});
