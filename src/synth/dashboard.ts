// The Grafana dashboard of a deployment (monitoring/dashboards/redis-ha.json) and, with
// monitoring, Grafana's provisioning files for it (docs/monitoring.md, "The dashboard").
// Pure: a topology in, JSON / YAML text out. Every query reads the metrics that
// prometheus/prometheus.yml scrapes (the exporter through HAProxy, HAProxy itself, the alerts);
// test/integration/dashboard.test.ts runs each of them against a live Prometheus, and checks the
// JSON against Grafana's own schema.
import { toYaml } from '../yaml.js';
import type { Topology } from '../model/schema.js';

export const DASHBOARD_FILE = 'monitoring/dashboards/redis-ha.json';
export const GRAFANA_DATASOURCE_FILE = 'monitoring/provisioning/datasources/datasource.yml';
export const GRAFANA_DASHBOARDS_FILE = 'monitoring/provisioning/dashboards/dashboards.yml';
/** Where the Grafana service sees monitoring/dashboards (the provider's path). */
export const GRAFANA_DASHBOARDS_DIR = '/etc/grafana/dashboards';
/** The datasource's uid in the provisioning file; the dashboard picks it by its ${datasource} variable. */
const DATASOURCE_UID = 'redis-ha-prometheus';
/** Grafana's dashboard JSON model version this file is written to (Grafana 11). */
const SCHEMA_VERSION = 39;

type PanelType = 'timeseries' | 'stat' | 'state-timeline';

interface Query {
  expr: string;
  legend: string;
}

interface PanelDef {
  title: string;
  description: string;
  type: PanelType;
  queries: Query[];
  /** Grid columns out of 24. */
  width: number;
  unit?: string;
  /** Value -> text (and color) for roles and states. */
  mappings?: Record<string, { text: string; color: string }>;
  /** Steps: from value -> color (the first has no value: the base). */
  thresholds?: [number | null, string][];
  min?: number;
}

interface RowDef {
  title: string;
  panels: PanelDef[];
}

const PROM = { type: 'prometheus', uid: '${datasource}' };

/** The label matchers every query starts from: the deployment the ${deployment} variable names. */
const D = 'deployment="$deployment"';

/** The dashboard's rows and panels: one table, so the layout and the live test read the same thing. */
function rows(t: Topology): RowDef[] {
  const roles: RowDef = {
    title: 'Roles and failovers',
    panels: [
      {
        title: 'Role of each node',
        description: 'What each Redis node reports in INFO replication: master, replica, or down (the exporter cannot reach it). Failovers are marked by the "Master changed" annotation.',
        type: 'state-timeline',
        width: 16,
        queries: [
          {
            expr: `max by (instance) (redis_instance_info{${D}, kind="redis", role="master"}) or max by (instance) (redis_instance_info{${D}, kind="redis", role="slave"}) * 0 or max by (instance) (redis_up{${D}, kind="redis"} == 0) - 1`,
            legend: '{{instance}}',
          },
        ],
        mappings: { '1': { text: 'master', color: 'blue' }, '0': { text: 'replica', color: 'green' }, '-1': { text: 'down', color: 'red' } },
      },
      {
        title: 'Nodes reporting master',
        description: 'Exactly one is healthy; 0 means writes fail, 2 or more is a split brain (alerts RedisNoMaster, RedisMultipleMasters).',
        type: 'stat',
        width: 8,
        queries: [{ expr: `count(redis_instance_info{${D}, kind="redis", role="master"}) or vector(0)`, legend: 'masters' }],
        thresholds: [[null, 'red'], [1, 'green'], [2, 'red']],
      },
    ],
  };
  const replication: RowDef = {
    title: 'Replication',
    panels: [
      {
        title: 'Replica lag',
        description: "Seconds since each replica's last acknowledgement, as its master reports it (alert RedisReplicationLagHigh beyond min-replicas-max-lag).",
        type: 'timeseries',
        width: 8,
        unit: 's',
        min: 0,
        queries: [{ expr: `max by (slave_ip) (redis_connected_slave_lag_seconds{${D}, kind="redis"})`, legend: '{{slave_ip}}' }],
        thresholds: [[null, 'green'], [t.redis.minReplicasMaxLag, 'red']],
      },
      {
        title: 'Bytes behind the master',
        description: "The highest replication offset in the deployment minus each replica's: what a failover to it would lose without WAIT.",
        type: 'timeseries',
        width: 8,
        unit: 'bytes',
        min: 0,
        queries: [
          {
            expr: `scalar(max(redis_master_repl_offset{${D}, kind="redis"})) - max by (instance) (redis_slave_repl_offset{${D}, kind="redis"})`,
            legend: '{{instance}}',
          },
        ],
      },
      {
        title: 'Replication offset',
        description: "Each node's master_repl_offset: the lines move together while replication keeps up.",
        type: 'timeseries',
        width: 8,
        unit: 'bytes',
        queries: [{ expr: `max by (instance) (redis_master_repl_offset{${D}, kind="redis"})`, legend: '{{instance}}' }],
      },
    ],
  };
  const load: RowDef = {
    title: 'Load and latency',
    panels: [
      {
        title: 'Commands per second',
        description: 'Commands each node processes (the exporter and Sentinels count too).',
        type: 'timeseries',
        width: 8,
        unit: 'ops',
        min: 0,
        queries: [{ expr: `sum by (instance) (rate(redis_commands_processed_total{${D}, kind="redis"}[$__rate_interval]))`, legend: '{{instance}}' }],
      },
      {
        title: 'Latency per call',
        description: 'Time Redis spends in a command on average (INFO commandstats), per node.',
        type: 'timeseries',
        width: 8,
        unit: 's',
        min: 0,
        queries: [
          {
            expr: `sum by (instance) (rate(redis_commands_duration_seconds_total{${D}, kind="redis"}[$__rate_interval])) / sum by (instance) (rate(redis_commands_total{${D}, kind="redis"}[$__rate_interval]))`,
            legend: '{{instance}}',
          },
        ],
      },
      {
        title: 'Connected clients',
        description: 'Client connections per node (applications, replicas, Sentinels, HAProxy checks, the exporter).',
        type: 'timeseries',
        width: 8,
        min: 0,
        queries: [{ expr: `max by (instance) (redis_connected_clients{${D}, kind="redis"})`, legend: '{{instance}}' }],
      },
    ],
  };
  const memory: RowDef = {
    title: 'Memory',
    panels: [
      {
        title: 'Memory against maxmemory',
        description: 'used_memory per node beside its maxmemory (0: no limit); alert RedisMemoryHigh above 90 %.',
        type: 'timeseries',
        width: 24,
        unit: 'bytes',
        min: 0,
        queries: [
          { expr: `max by (instance) (redis_memory_used_bytes{${D}, kind="redis"})`, legend: '{{instance}} used' },
          { expr: `max by (instance) (redis_memory_max_bytes{${D}, kind="redis"})`, legend: '{{instance}} maxmemory' },
        ],
      },
    ],
  };
  const sentinel: RowDef = {
    title: 'Sentinels',
    panels: [
      {
        title: 'Master each Sentinel names',
        description: 'The address each Sentinel gives clients for the master (SENTINEL MASTERS): they agree in a healthy deployment.',
        type: 'state-timeline',
        width: 12,
        queries: [{ expr: `max by (instance, master_address) (redis_sentinel_master_status{${D}})`, legend: '{{instance}}: {{master_address}}' }],
      },
      {
        title: 'Usable Sentinels',
        description: `Sentinels each Sentinel counts as usable, against the quorum (${t.sentinel.quorum}); CKQUORUM 0 means no failover can be authorized (alert RedisSentinelQuorumLost).`,
        type: 'timeseries',
        width: 6,
        min: 0,
        queries: [
          { expr: `max by (instance) (redis_sentinel_master_ok_sentinels{${D}})`, legend: '{{instance}} ok Sentinels' },
          { expr: `max by (instance) (redis_sentinel_master_ckquorum_status{${D}})`, legend: '{{instance}} CKQUORUM' },
        ],
        thresholds: [[null, 'red'], [t.sentinel.quorum, 'green']],
      },
      {
        title: 'Sentinels in TILT',
        description: 'A Sentinel in TILT acts on nothing for 30 s (its clock or event loop jumped): no failover then.',
        type: 'stat',
        width: 6,
        queries: [{ expr: `sum(redis_sentinel_tilt{${D}})`, legend: 'in TILT' }],
        thresholds: [[null, 'green'], [1, 'red']],
      },
    ],
  };
  const haproxy: RowDef = {
    title: 'HAProxy',
    panels: [
      {
        title: 'Server taking writes',
        description: 'Which node passes the write port\'s master check (role:master): 1 while it takes writes.',
        type: 'state-timeline',
        width: 12,
        queries: [{ expr: `max by (server) (haproxy_server_status{${D}, proxy="redis_write", state="UP"})`, legend: '{{server}}' }],
        mappings: { '1': { text: 'takes writes', color: 'blue' }, '0': { text: 'no', color: 'transparent' } },
      },
      {
        title: 'Live servers per port',
        description: 'Servers passing the checks: the write port needs exactly 1 (alert HaproxyNoWriteServer), the read port has the replicas.',
        type: 'timeseries',
        width: 6,
        min: 0,
        queries: [{ expr: `max by (proxy) (haproxy_backend_active_servers{${D}, proxy=~"redis_write|redis_read"})`, legend: '{{proxy}}' }],
      },
      {
        title: 'Sessions',
        description: 'Client connections HAProxy holds open to each port.',
        type: 'timeseries',
        width: 6,
        min: 0,
        queries: [{ expr: `sum by (proxy) (haproxy_backend_current_sessions{${D}, proxy=~"redis_write|redis_read"})`, legend: '{{proxy}}' }],
      },
      {
        title: 'Check state per server',
        description: "The result of HAProxy's last check of each server (L7OK passes; L7RSP: the node answered but is not what the port needs).",
        type: 'state-timeline',
        width: 24,
        queries: [
          {
            expr: `max by (proxy, server, state) (haproxy_server_check_status{${D}, proxy=~"redis_write|redis_read"} == 1)`,
            legend: '{{proxy}}/{{server}} {{state}}',
          },
        ],
      },
    ],
  };
  const alerts: RowDef = {
    title: 'Alerts',
    panels: [
      {
        title: 'Alerts firing',
        description: 'The rules of prometheus/alerts.yml while they fire (docs/monitoring.md, "The alerts").',
        type: 'state-timeline',
        width: 24,
        queries: [{ expr: `max by (alertname, severity) (ALERTS{${D}, alertstate="firing"})`, legend: '{{alertname}} ({{severity}})' }],
        mappings: { '1': { text: 'firing', color: 'red' } },
      },
    ],
  };
  return [roles, replication, load, memory, ...(t.sentinel.enabled ? [sentinel] : []), ...(t.haproxy.enabled ? [haproxy] : []), alerts];
}

/** A panel as Grafana's dashboard model has it, for its type's options schema. */
function panel(def: PanelDef, id: number, gridPos: { x: number; y: number; w: number; h: number }): Record<string, unknown> {
  const legend = { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] };
  const tooltip = { mode: 'multi', sort: 'none' };
  const options =
    def.type === 'stat'
      ? {
          graphMode: 'none',
          colorMode: 'background',
          justifyMode: 'auto',
          textMode: 'value_and_name',
          wideLayout: true,
          showPercentChange: false,
          percentChangeColorMode: 'standard',
          orientation: 'auto',
          reduceOptions: { calcs: ['lastNotNull'], values: false, fields: '' },
        }
      : def.type === 'state-timeline'
        ? { showValue: 'auto', rowHeight: 0.9, mergeValues: true, alignValue: 'left', legend: { ...legend, showLegend: false }, tooltip }
        : { legend, tooltip };
  const mappings = def.mappings
    ? [
        {
          type: 'value',
          options: Object.fromEntries(Object.entries(def.mappings).map(([value, m], index) => [value, { text: m.text, color: m.color, index }])),
        },
      ]
    : [];
  const thresholds = {
    mode: 'absolute',
    steps: (def.thresholds ?? [[null, 'green']]).map(([value, color]) => ({ value, color })),
  };
  return {
    type: def.type,
    id,
    title: def.title,
    description: def.description,
    datasource: PROM,
    gridPos,
    targets: def.queries.map((q, i) => ({
      datasource: PROM,
      refId: String.fromCharCode(65 + i),
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
      editorMode: 'code',
    })),
    options,
    fieldConfig: {
      defaults: {
        ...(def.unit ? { unit: def.unit } : {}),
        ...(def.min !== undefined ? { min: def.min } : {}),
        mappings,
        thresholds,
        color: { mode: def.type === 'timeseries' ? 'palette-classic' : 'thresholds' },
      },
      overrides: [],
    },
  };
}

/** monitoring/dashboards/redis-ha.json: Grafana's dashboard JSON model (schemaVersion 39). */
export function renderDashboard(t: Topology): string {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows(t)) {
    panels.push({ type: 'row', id: id++, title: row.title, collapsed: false, panels: [], gridPos: { x: 0, y: y++, w: 24, h: 1 } });
    let x = 0;
    for (const def of row.panels) {
      const h = def.type === 'stat' ? 6 : 8;
      if (x + def.width > 24) {
        x = 0;
        y += 8;
      }
      panels.push(panel(def, id++, { x, y, w: def.width, h }));
      x += def.width;
    }
    y += 8;
  }
  const dashboard = {
    uid: `redis-ha-${t.name}`.slice(0, 40),
    title: `redis-ha: ${t.name}`,
    description: `Redis (${t.preset} preset) deployed by redis-ha: roles and failovers, replication, load, memory${t.sentinel.enabled ? ', Sentinels' : ''}${t.haproxy.enabled ? ', HAProxy' : ''}, alerts. Generated by redis-ha.`,
    tags: ['redis', 'redis-ha', 'sentinel'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'Prometheus',
          query: 'prometheus',
          current: { text: 'default', value: 'default' },
          hide: 0,
        },
        {
          type: 'query',
          name: 'deployment',
          label: 'Deployment',
          datasource: PROM,
          query: 'label_values(redis_up, deployment)',
          definition: 'label_values(redis_up, deployment)',
          current: { text: t.name, value: t.name },
          refresh: 1,
          sort: 1,
          hide: 0,
        },
      ],
    },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        {
          name: 'Master changed',
          datasource: PROM,
          enable: true,
          iconColor: 'red',
          // The RedisMasterChanged alert (an event: it fires for two evaluations after a failover or switchover).
          expr: `ALERTS{${D}, alertname="RedisMasterChanged", alertstate="firing"}`,
          titleFormat: 'Master changed',
          textFormat: 'The Sentinels now name {{master_address}}',
          tagKeys: 'master_address',
          step: t.monitoring.prometheus.scrapeInterval,
        },
      ],
    },
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/**
 * Grafana's provisioning files: the deployment's Prometheus as the default datasource (the stats
 * login, its password read from the secret file by Grafana's $__file{} expansion), and a provider
 * that loads monitoring/dashboards.
 */
export function renderGrafanaProvisioning(t: Topology, secretFile: string): Map<string, string> {
  const header = `# redis-ha: Grafana provisioning for deployment "${t.name}". Generated by redis-ha.\n`;
  const datasource = {
    apiVersion: 1,
    datasources: [
      {
        name: `redis-ha ${t.name}`,
        uid: DATASOURCE_UID,
        type: 'prometheus',
        access: 'proxy',
        url: 'http://prometheus:9090',
        isDefault: true,
        editable: false,
        ...(t.auth.enabled
          ? { basicAuth: true, basicAuthUser: 'stats', secureJsonData: { basicAuthPassword: `$__file{${secretFile}}` } }
          : {}),
        // Grafana's $__rate_interval is at least 4 of these.
        jsonData: { timeInterval: t.monitoring.prometheus.scrapeInterval, httpMethod: 'POST' },
      },
    ],
  };
  const dashboards = {
    apiVersion: 1,
    providers: [
      {
        name: `redis-ha ${t.name}`,
        type: 'file',
        folder: 'redis-ha',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: GRAFANA_DASHBOARDS_DIR, foldersFromFilesStructure: false },
      },
    ],
  };
  return new Map([
    [GRAFANA_DATASOURCE_FILE, header + toYaml(datasource)],
    [GRAFANA_DASHBOARDS_FILE, header + toYaml(dashboards)],
  ]);
}
