// The Grafana dashboard (monitoring/dashboards/redis-ha.json) against Grafana's own schemas: no
// Grafana runs on these machines, so the JSON is checked against the JSON Schemas Grafana
// generates from its CUE kinds (test/fixtures/schemas/grafana, source in the README there):
// the dashboard model, each panel type's options, the Prometheus query. Every query runs against
// a live Prometheus in test/integration/failover.test.ts (full).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { DASHBOARD_FILE, GRAFANA_DASHBOARDS_FILE, GRAFANA_DATASOURCE_FILE } from '../../src/synth/dashboard.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { dashboardQueries, type GrafanaDashboard } from '../helpers/dashboard.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { FIXED_SECRETS, fixedTlsFiles } from '../helpers/secrets.js';
import { topologyOf } from '../helpers/topology.js';

const SCHEMAS = join(REPO_ROOT, 'test/fixtures/schemas/grafana');
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const schemaOf = (file: string) => JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Record<string, unknown>;
const compileDefinition = (file: string, definition: string): ValidateFunction => {
  const s = schemaOf(file);
  return ajv.compile({ ...s, $ref: `#/definitions/${definition}`, $id: `${file}#${definition}` });
};
const dashboardSchema = compileDefinition('dashboard.jsonschema.json', 'Dashboard');
const OPTIONS: Record<string, ValidateFunction> = {
  timeseries: compileDefinition('timeseries.jsonschema.json', 'Options'),
  stat: compileDefinition('stat.jsonschema.json', 'Options'),
  'state-timeline': compileDefinition('statetimeline.jsonschema.json', 'Options'),
};
const promQuery = compileDefinition('prometheus.jsonschema.json', 'Dataquery');
const errors = (v: ValidateFunction) => JSON.stringify(v.errors, null, 1);

const dashboardOf = (preset: 'basic' | 'sentinel' | 'full', overrides: Record<string, unknown> = {}) => {
  const t = topologyOf(preset, overrides);
  const files = synthesize(t, FIXED_SECRETS, {}, t.tls.enabled ? fixedTlsFiles(t) : undefined);
  return { files, dashboard: JSON.parse(files.get(DASHBOARD_FILE)!) as GrafanaDashboard };
};

describe('the Grafana dashboard', () => {
  for (const [preset, overrides] of [['full', {}], ['full', { tls: { enabled: true } }], ['sentinel', { exporter: { enabled: true } }], ['basic', { exporter: { enabled: true } }]] as const) {
    it(`${preset}${Object.keys(overrides).length ? ` ${JSON.stringify(overrides)}` : ''}: valid against Grafana's dashboard schema, each panel's options against its type's`, () => {
      const { dashboard } = dashboardOf(preset, overrides);
      assert.ok(dashboardSchema(dashboard), errors(dashboardSchema));
      for (const p of dashboard.panels) {
        if (p.type === 'row') continue;
        const options = OPTIONS[p.type];
        assert.ok(options, `panel "${p.title}": type ${p.type} has no schema here`);
        assert.ok(options(p.options), `panel "${p.title}" options: ${errors(options)}`);
        for (const target of p.targets ?? []) assert.ok(promQuery(target), `panel "${p.title}" target ${target.refId}: ${errors(promQuery)}`);
      }
    });
  }

  it('the schema check can fail: a panel without a type, a width over 24, an unknown key are refused', () => {
    const { dashboard } = dashboardOf('full');
    const panel = dashboard.panels.find((p) => p.type !== 'row')!;
    for (const broken of [
      { ...dashboard, panels: [{ ...panel, type: undefined }] },
      { ...dashboard, panels: [{ ...panel, gridPos: { ...panel.gridPos, w: 25 } }] },
      { ...dashboard, refreshEvery: '5s' },
    ]) assert.equal(dashboardSchema(broken), false, JSON.stringify(broken).slice(0, 200));
    assert.equal(OPTIONS.stat!({ graphMode: 'none' }), false);
  });

  it('covers what the issue lists: roles, replication, load, memory, clients, Sentinels, HAProxy, alerts, failover annotations', () => {
    const { dashboard } = dashboardOf('full');
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    assert.deepEqual(rows, ['Roles and failovers', 'Replication', 'Load and latency', 'Memory', 'Sentinels', 'HAProxy', 'Alerts']);
    const exprs = dashboardQueries(dashboard).map((q) => q.expr).join('\n');
    for (const metric of [
      'redis_instance_info', 'redis_connected_slave_lag_seconds', 'redis_slave_repl_offset', 'redis_commands_processed_total',
      'redis_commands_duration_seconds_total', 'redis_memory_max_bytes', 'redis_connected_clients', 'redis_sentinel_master_ok_sentinels',
      'redis_sentinel_master_ckquorum_status', 'redis_sentinel_tilt', 'haproxy_server_status', 'haproxy_backend_current_sessions',
      'haproxy_server_check_status', 'ALERTS',
    ]) assert.match(exprs, new RegExp(`\\b${metric}\\b`), metric);
    assert.ok(dashboard.annotations.list.some((a) => a.name === 'Master changed' && /RedisMasterChanged/.test(a.expr ?? '')));
    // Without Sentinel or HAProxy, their rows (whose queries would return nothing) are left out.
    const basic = dashboardOf('basic', { exporter: { enabled: true } }).dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    assert.deepEqual(basic, ['Roles and failovers', 'Replication', 'Load and latency', 'Memory', 'Alerts']);
  });

  it('every query is scoped to the ${deployment} variable, panels do not overlap, ids are unique', () => {
    const { dashboard } = dashboardOf('full');
    for (const q of dashboardQueries(dashboard)) if (q.kind !== 'variable') assert.match(q.expr, /deployment="\$deployment"/, q.where);
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const g = p.gridPos;
      assert.ok(g.x + g.w <= 24, p.title);
      for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
        assert.ok(!cells.has(`${x},${y}`), `panel "${p.title}" overlaps another at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    }
    assert.equal(dashboard.templating.list.find((v) => v.name === 'deployment')?.current?.value, 'redis-ha');
  });

  it('the thresholds follow the topology: quorum and min-replicas-max-lag', () => {
    const { dashboard } = dashboardOf('full', { sentinel: { count: 5, quorum: 3 }, redis: { minReplicasMaxLag: 7 } });
    const steps = (title: string) => dashboard.panels.find((p) => p.title === title)!.fieldConfig!.defaults.thresholds.steps.map((s) => s.value);
    assert.deepEqual(steps('Usable Sentinels'), [null, 3]);
    assert.deepEqual(steps('Replica lag'), [null, 7]);
  });

  it('provisioning only with monitoring: the deployment\'s Prometheus as datasource (password read from the secret file), a provider for the dashboards', () => {
    const { files } = dashboardOf('full');
    const ds = parse(files.get(GRAFANA_DATASOURCE_FILE)!) as { datasources: Record<string, unknown>[] };
    assert.equal(ds.datasources[0]!.url, 'http://prometheus:9090');
    assert.deepEqual(ds.datasources[0]!.secureJsonData, { basicAuthPassword: '$__file{/run/secrets/haproxy-stats}' });
    assert.doesNotMatch(files.get(GRAFANA_DATASOURCE_FILE)!, new RegExp(FIXED_SECRETS['haproxy-stats']));
    const providers = parse(files.get(GRAFANA_DASHBOARDS_FILE)!) as { providers: { type: string; options: { path: string } }[] };
    assert.equal(providers.providers[0]!.type, 'file');
    const noMonitoring = dashboardOf('sentinel', { exporter: { enabled: true } }).files;
    assert.ok(noMonitoring.has(DASHBOARD_FILE));
    assert.ok(!noMonitoring.has(GRAFANA_DATASOURCE_FILE));
    assert.ok(!synthesize(topologyOf('sentinel'), FIXED_SECRETS).has(DASHBOARD_FILE), 'no exporter, no dashboard');
  });
});
