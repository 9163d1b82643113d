// The alert rules of the full preset, evaluated by `promtool test rules` against series
// shaped like the ones prometheus.yml makes Prometheus collect.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { renderAlertRules } from '../../src/synth/configs.js';
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

async function promtoolTest(t: TestContext, cases: AlertTest[]): Promise<{ status: number | null; output: string }> {
  const dir = await makeTempDir();
  t.after(() => removeDir(dir));
  await writeFile(join(dir, 'alerts.yml'), renderAlertRules(topologyOf('full')));
  const tests = cases.map((c) => ({
    interval: '5s',
    input_series: c.series,
    alert_rule_test: [{ eval_time: '2m', alertname: c.alertname, exp_alerts: c.expected.map((e) => ({ exp_labels: e.labels, exp_annotations: e.annotations })) }],
  }));
  // JSON is YAML: no serializer needed.
  await writeFile(join(dir, 'test.yml'), JSON.stringify({ rule_files: ['alerts.yml'], evaluation_interval: '5s', tests }, null, 2));
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
            labels: { severity: 'critical' },
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
            labels: { severity: 'critical' },
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
});
