// The alert rules of the full preset, evaluated by `promtool test rules` against series
// shaped like the ones prometheus.yml makes Prometheus collect.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { renderAlertRules } from '../../src/synth/configs.js';
import type { CertificateEnd } from '../../src/synth/tls.js';
import { requireBinary, run } from '../helpers/binaries.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

/** A series as the per-node job (through HAProxy: `/scrape?target=<node>`, kind=redis; instance is the node's name) labels it. */
const perNode = (node: string, role: 'master' | 'slave') =>
  `redis_instance_info{deployment="redis-ha", job="redis-ha-redis-ha", kind="redis", instance="${node}", redis_mode="standalone", role="${role}"}`;

interface AlertTest {
  series: { series: string; values: string }[];
  alertname: string;
  expected: { labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** A series of the per-Sentinel job (kind=sentinel; instance is the Sentinel's name). */
const perSentinel = (sentinel: string, metric: string, labels: Record<string, string> = {}) =>
  `${metric}{deployment="redis-ha", job="redis-ha-redis-ha", kind="sentinel", instance="${sentinel}"${Object.entries(labels).map(([k, v]) => `, ${k}="${v}"`).join('')}}`;
const sentinelView = (sentinel: string, master: string) => perSentinel(sentinel, 'redis_sentinel_master_status', { master_name: 'mymaster', master_address: `${master}:6379`, master_status: 'ok' });
/** A per-node series of `metric` (kind=redis). */
const nodeMetric = (node: string, metric: string) => `${metric}{deployment="redis-ha", job="redis-ha-redis-ha", kind="redis", instance="${node}"}`;

async function promtoolTest(t: TestContext, cases: AlertTest[], evalTime = '2m', certificates: CertificateEnd[] = [], interval = '5s'): Promise<{ status: number | null; output: string }> {
  const dir = await makeTempDir();
  t.after(() => removeDir(dir));
  await writeFile(join(dir, 'alerts.yml'), renderAlertRules(topologyOf('full', certificates.length ? { tls: { enabled: true } } : {}), certificates));
  const tests = cases.map((c) => ({
    interval,
    input_series: c.series,
    alert_rule_test: [{ eval_time: evalTime, alertname: c.alertname, exp_alerts: c.expected.map((e) => ({ exp_labels: e.labels, exp_annotations: e.annotations })) }],
  }));
  // JSON is YAML: no serializer needed.
  await writeFile(join(dir, 'test.yml'), JSON.stringify({ rule_files: ['alerts.yml'], evaluation_interval: interval, tests }, null, 2));
  const r = run('promtool', ['test', 'rules', join(dir, 'test.yml')]);
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('alert rules (promtool test rules)', () => {
  it('RedisMultipleMasters fires when two nodes report role:master', async (t) => {
    if (!requireBinary(t, 'promtool')) return;
    const r = await promtoolTest(t, [
      {
        series: [
          { series: perNode('redis-1', 'master'), values: '1x40' },
          { series: perNode('redis-2', 'master'), values: '1x40' },
          { series: perNode('redis-3', 'slave'), values: '1x40' },
        ],
        alertname: 'RedisMultipleMasters',
        expected: [
          {
            labels: { severity: 'critical', deployment: 'redis-ha' },
            annotations: {
              summary: 'More than one Redis master in redis-ha',
              description: '2 nodes report role:master (split brain); writes to the demoted one will be lost.',
            },
          },
        ],
      },
    ]);
    assert.equal(r.status, 0, r.output);
  });

  it('RedisNoMaster fires when no node reports role:master', async (t) => {
    if (!requireBinary(t, 'promtool')) return;
    const r = await promtoolTest(t, [
      {
        series: [
          { series: perNode('redis-1', 'slave'), values: '1x40' },
          { series: perNode('redis-2', 'slave'), values: '1x40' },
        ],
        alertname: 'RedisNoMaster',
        expected: [
          {
            labels: { severity: 'critical', deployment: 'redis-ha' },
            annotations: {
              summary: 'No Redis master in redis-ha',
              description: 'No node reports role:master; writes fail until Sentinel promotes a replica.',
            },
          },
        ],
      },
    ]);
    assert.equal(r.status, 0, r.output);
  });

  it(
    'one master, also seen through the exporter job: no RedisMultipleMasters',
    // The exporter job's own /metrics series carry no kind="redis" label; the alerts count only kind="redis".
    async (t) => {
      if (!requireBinary(t, 'promtool')) return;
      const r = await promtoolTest(t, [
        {
          series: [
            { series: perNode('redis-1', 'master'), values: '1x40' },
            { series: perNode('redis-2', 'slave'), values: '1x40' },
            {
              series:
                'redis_instance_info{deployment="redis-ha", job="redis-ha-redis-ha-exporter", instance="haproxy:8404", redis_mode="standalone", role="master"}',
              values: '1x40',
            },
          ],
          alertname: 'RedisMultipleMasters',
          expected: [],
        },
      ]);
      assert.equal(r.status, 0, r.output);
    },
  );

  /** One case that must fire (with these labels and summary) and one that must not. */
  const firesAndNot = (alertname: string, fires: { series: AlertTest['series']; labels: Record<string, string>; summary: string; description?: string }, quiet: AlertTest['series'], evalTime = '2m') => {
    it(`${alertname} fires when it should, and not otherwise`, async (t) => {
      if (!requireBinary(t, 'promtool')) return;
      const alerts = renderAlertRules(topologyOf('full'));
      const description = fires.description ?? new RegExp(`- alert: ${alertname}[\\s\\S]*?description: "([^"]*)"`).exec(alerts)?.[1]?.replace(/\\\{\{/g, '{{');
      assert.ok(description, `${alertname} has a description`);
      const r = await promtoolTest(t, [
        { series: fires.series, alertname, expected: [{ labels: fires.labels, annotations: { summary: fires.summary, description } }] },
        { series: quiet, alertname, expected: [] },
      ], evalTime);
      assert.equal(r.status, 0, r.output);
    });
  };

  firesAndNot(
    'RedisMasterChanged',
    {
      // sentinel-1 named redis-1 for a minute, then redis-2.
      series: [{ series: sentinelView('sentinel-1', 'redis-1'), values: '1x12' }, { series: sentinelView('sentinel-1', 'redis-2'), values: '_x13 1x12' }],
      labels: { severity: 'warning', deployment: 'redis-ha', master_address: 'redis-2:6379' },
      summary: 'The Sentinels of redis-ha now name redis-2:6379 as master',
    },
    // The same master all along; and a Sentinel first seen naming redis-2 (a start, not a change).
    [{ series: sentinelView('sentinel-1', 'redis-1'), values: '1x30' }, { series: sentinelView('sentinel-4', 'redis-2'), values: '_x13 1x12' }],
    '80s',
  );
  it('RedisMasterChanged is an event: it resolves two evaluations after the change', async (t) => {
    if (!requireBinary(t, 'promtool')) return;
    const series = [{ series: sentinelView('sentinel-1', 'redis-1'), values: '1x12' }, { series: sentinelView('sentinel-1', 'redis-2'), values: '_x13 1x40' }];
    // The change at 65 s; the default profile evaluates every 15 s, the lookback is 30 s.
    const r = await promtoolTest(t, [{ series, alertname: 'RedisMasterChanged', expected: [] }], '110s');
    assert.equal(r.status, 0, r.output);
  });
  firesAndNot(
    'RedisSentinelQuorumLost',
    { series: [{ series: perSentinel('sentinel-3', 'redis_sentinel_master_ok_sentinels', { master_name: 'mymaster', master_address: 'redis-1:6379' }), values: '1x30' }], labels: { severity: 'critical', deployment: 'redis-ha', instance: 'sentinel-3' }, summary: 'Sentinel sentinel-3 cannot authorize a failover' },
    [{ series: perSentinel('sentinel-3', 'redis_sentinel_master_ok_sentinels', { master_name: 'mymaster', master_address: 'redis-1:6379' }), values: '3x30' }, { series: perSentinel('sentinel-3', 'redis_sentinel_master_ckquorum_status', { master_name: 'mymaster', message: 'OK' }), values: '1x30' }],
  );
  it('RedisSentinelQuorumLost also fires on a failing CKQUORUM with enough Sentinels counted', async (t) => {
    if (!requireBinary(t, 'promtool')) return;
    const r = await promtoolTest(t, [
      {
        series: [
          { series: perSentinel('sentinel-1', 'redis_sentinel_master_ok_sentinels', { master_name: 'mymaster', master_address: 'redis-1:6379' }), values: '3x30' },
          { series: perSentinel('sentinel-1', 'redis_sentinel_master_ckquorum_status', { master_name: 'mymaster', message: 'NOQUORUM' }), values: '0x30' },
        ],
        alertname: 'RedisSentinelQuorumLost',
        expected: [{ labels: { severity: 'critical', deployment: 'redis-ha', instance: 'sentinel-1' }, annotations: { summary: 'Sentinel sentinel-1 cannot authorize a failover', description: 'Fewer than 2 usable Sentinels, or SENTINEL CKQUORUM fails: a master failure would not be failed over.' } }],
      },
    ]);
    assert.equal(r.status, 0, r.output);
  });
  firesAndNot(
    'RedisSentinelTilt',
    { series: [{ series: perSentinel('sentinel-2', 'redis_sentinel_tilt'), values: '0x20 1x10' }], labels: { severity: 'warning', deployment: 'redis-ha', job: 'redis-ha-redis-ha', kind: 'sentinel', instance: 'sentinel-2' }, summary: 'Sentinel sentinel-2 is in TILT mode' },
    [{ series: perSentinel('sentinel-2', 'redis_sentinel_tilt'), values: '0x30' }],
  );
  firesAndNot(
    'RedisNodeDown',
    { series: [{ series: nodeMetric('redis-1', 'redis_up'), values: '1x20 0x10' }], labels: { severity: 'critical', deployment: 'redis-ha', job: 'redis-ha-redis-ha', kind: 'redis', instance: 'redis-1' }, summary: 'Redis node redis-1 does not answer' },
    [{ series: nodeMetric('redis-1', 'redis_up'), values: '1x30' }],
  );
  it('RedisNodeDown also fires when the scrape of a node fails (no redis_up at all)', async (t) => {
    if (!requireBinary(t, 'promtool')) return;
    const r = await promtoolTest(t, [
      {
        series: [{ series: nodeMetric('redis-1', 'up'), values: '1x20 0x10' }],
        alertname: 'RedisNodeDown',
        expected: [{ labels: { severity: 'critical', deployment: 'redis-ha', job: 'redis-ha-redis-ha', kind: 'redis', instance: 'redis-1' }, annotations: { summary: 'Redis node redis-1 does not answer', description: 'The exporter cannot reach it: if it was the master, Sentinel fails over after down-after-milliseconds.' } }],
      },
    ]);
    assert.equal(r.status, 0, r.output);
  });
  it('RedisScrapeDown leaves a node to RedisNodeDown', async (t) => {
    if (!requireBinary(t, 'promtool')) return;
    const r = await promtoolTest(t, [{ series: [{ series: nodeMetric('redis-1', 'up'), values: '1x10 0x20' }], alertname: 'RedisScrapeDown', expected: [] }]);
    assert.equal(r.status, 0, r.output);
  });
  firesAndNot(
    'RedisScrapeDown',
    { series: [{ series: 'up{deployment="redis-ha", job="redis-ha-redis-ha-haproxy", instance="haproxy:8404"}', values: '1x10 0x20' }], labels: { severity: 'warning', deployment: 'redis-ha', job: 'redis-ha-redis-ha-haproxy', instance: 'haproxy:8404' }, summary: 'Prometheus cannot scrape redis-ha-redis-ha-haproxy at haproxy:8404' },
    // Down for one scrape only: under the 30 s of `for`.
    [{ series: 'up{deployment="redis-ha", job="redis-ha-redis-ha-haproxy", instance="haproxy:8404"}', values: '1x20 0 1x9' }],
  );
  firesAndNot(
    'HaproxyNoWriteServer',
    { series: [{ series: 'haproxy_backend_active_servers{deployment="redis-ha", job="redis-ha-redis-ha-haproxy", instance="haproxy:8404", proxy="redis_write"}', values: '1x10 0x20' }], labels: { severity: 'critical', deployment: 'redis-ha', job: 'redis-ha-redis-ha-haproxy', instance: 'haproxy:8404', proxy: 'redis_write' }, summary: "HAProxy's write port of redis-ha has no live master" },
    // The read backend empty is not this alert; the write backend keeps its master.
    [
      { series: 'haproxy_backend_active_servers{deployment="redis-ha", job="redis-ha-redis-ha-haproxy", instance="haproxy:8404", proxy="redis_write"}', values: '1x30' },
      { series: 'haproxy_backend_active_servers{deployment="redis-ha", job="redis-ha-redis-ha-haproxy", instance="haproxy:8404", proxy="redis_read"}', values: '0x30' },
    ],
  );
  it('RedisCertificateExpiresSoon fires 30 days before the first certificate ends, not before', async (t) => {
    if (!requireBinary(t, 'promtool')) return;
    // promtool's clock starts at the Unix epoch: certificates that end 40 and 90 days after it
    // (evaluated hourly: days of 5 s evaluations take minutes).
    const day = 86_400_000;
    const certificates = [
      { file: 'tls/redis-2.crt', notAfter: new Date(40 * day) },
      { file: 'tls/ca.crt', notAfter: new Date(90 * day) },
    ];
    const expected = {
      labels: { severity: 'warning', deployment: 'redis-ha' },
      annotations: {
        summary: 'A TLS certificate of redis-ha ends on 1970-02-10',
        description: 'tls/redis-2.crt end(s) on 1970-02-10: run `redis-ha deploy` again, which issues new certificates 30 days before their end (`redis-ha status` lists each).',
      },
    };
    const series = [{ series: nodeMetric('redis-1', 'redis_up'), values: '1' }];
    const fires = await promtoolTest(t, [{ series, alertname: 'RedisCertificateExpiresSoon', expected: [expected] }], '11d', certificates, '1h');
    assert.equal(fires.status, 0, fires.output);
    const quiet = await promtoolTest(t, [{ series, alertname: 'RedisCertificateExpiresSoon', expected: [] }], '9d', certificates, '1h');
    assert.equal(quiet.status, 0, quiet.output);
    // Without TLS there is no such rule.
    assert.doesNotMatch(renderAlertRules(topologyOf('full')), /RedisCertificateExpiresSoon/);
  });
  firesAndNot(
    'RedisPersistenceFailed',
    { series: [{ series: nodeMetric('redis-2', 'redis_aof_last_write_status'), values: '1x20 0x10' }], labels: { severity: 'critical', deployment: 'redis-ha', job: 'redis-ha-redis-ha', kind: 'redis', instance: 'redis-2' }, summary: 'Redis redis-2 failed to write its RDB or AOF' },
    [{ series: nodeMetric('redis-2', 'redis_aof_last_write_status'), values: '1x30' }, { series: nodeMetric('redis-2', 'redis_rdb_last_bgsave_status'), values: '1x30' }],
  );
});
