// Grafana beside the deployment's Prometheus (monitoring.grafana, docs/monitoring.md): the model
// and its refusal, the service. No Grafana image runs on the test machines: docker-compose config
// reads the service in test/integration/real-tools.test.ts, and the dashboard it is provisioned
// with is checked against Grafana's schemas in dashboard.test.ts and queried live in
// failover.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { checkRules, SWARM_MAX_NAME } from '../../src/model/rules.js';
import { endpoints } from '../../src/report/snippets.js';
import { imagesOf } from '../../src/runtime/preflight.js';
import type { ComposeFile } from '../../src/synth/compose.js';
import { GRAFANA_DATASOURCE_FILE } from '../../src/synth/dashboard.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { problemsOf, topologyOf } from '../helpers/topology.js';

const ON = { monitoring: { grafana: { enabled: true } } };
const filesOf = (overrides: Record<string, unknown> = ON, secrets = FIXED_SECRETS) => synthesize(topologyOf('full', overrides), secrets);
const composeOf = (files: Map<string, string>) => parse(files.get('compose.yaml')!) as ComposeFile;

describe('grafana', () => {
  it('off by default; --grafana and --grafana-image set it; its port is portBase + 205; preflight pulls its image only when on', async () => {
    assert.equal(topologyOf('full').monitoring.grafana.enabled, false);
    assert.equal(topologyOf('full', ON).monitoring.grafana.port, 7205);
    const r = await problemsOf({
      preset: 'full',
      overrides: [
        { path: 'monitoring.grafana.enabled', value: true, flag: '--grafana' },
        { path: 'monitoring.grafana.image', value: 'grafana/grafana:11.2.0', flag: '--grafana-image' },
      ],
    });
    assert.equal(r.valid, true, JSON.stringify(r.problems));
    assert.ok(imagesOf(topologyOf('full', ON)).includes('grafana/grafana:11.2.0'));
    assert.ok(!imagesOf(topologyOf('full')).some((i) => i.startsWith('grafana/')));
  });

  it('without monitoring it is refused at monitoring.grafana.enabled, naming the flag and what to do', async () => {
    const r = await problemsOf({
      preset: 'full',
      overrides: [
        { path: 'monitoring.enabled', value: false, flag: '--monitoring' },
        { path: 'monitoring.grafana.enabled', value: true, flag: '--grafana' },
      ],
    });
    assert.equal(r.valid, false);
    const p = r.problems.filter((x) => x.path === 'monitoring.grafana.enabled');
    assert.equal(p.length, 1, JSON.stringify(r.problems));
    assert.equal(p[0]!.source, '--grafana');
    assert.match(p[0]!.hint ?? '', /monitoring\.enabled: true.*import monitoring\/dashboards\/redis-ha\.json/);
    assert.equal(checkRules(topologyOf('sentinel', ON)).filter((x) => x.path === 'monitoring.grafana.enabled').length, 1);
  });

  it("the official image's contract, hardened, provisioned read-only, the login from the secret file, nothing sent anywhere", () => {
    const compose = composeOf(filesOf());
    const g = compose.services.grafana!;
    assert.equal(g.image, 'grafana/grafana:11.2.0');
    assert.equal(g.user, '472');
    assert.deepEqual(g.cap_drop, ['ALL']);
    assert.equal(g.read_only, true);
    assert.deepEqual(g.volumes, ['./monitoring/provisioning:/etc/grafana/provisioning:ro', './monitoring/dashboards:/etc/grafana/dashboards:ro', 'grafana-data:/var/lib/grafana']);
    assert.deepEqual(g.ports, ['127.0.0.1:7205:3000']);
    assert.deepEqual(g.networks, ['redis-ha']);
    assert.deepEqual(g.secrets, ['haproxy-stats']);
    const env = g.environment!;
    assert.equal(env.GF_SECURITY_ADMIN_PASSWORD__FILE, '/run/secrets/haproxy-stats');
    assert.ok(!Object.values(env).some((v) => Object.values(FIXED_SECRETS).some((secret) => v.includes(secret))), 'no secret in its environment');
    for (const off of ['GF_ANALYTICS_REPORTING_ENABLED', 'GF_ANALYTICS_CHECK_FOR_UPDATES', 'GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', 'GF_NEWS_NEWS_FEED_ENABLED', 'GF_USERS_ALLOW_SIGN_UP', 'GF_AUTH_ANONYMOUS_ENABLED']) {
      assert.equal(env[off], 'false', off);
    }
    assert.ok(compose.volumes['grafana-data']);
    assert.equal(composeOf(filesOf({})).services.grafana, undefined, 'none when off');
    assert.ok(endpoints(topologyOf('full', ON)).some((e) => e.service === 'grafana' && e.address === 'http://127.0.0.1:7205'));
  });

  it('without users: anonymous viewers, no secret', () => {
    const g = composeOf(filesOf({ auth: { enabled: false }, ...ON })).services.grafana!;
    assert.equal(g.environment!.GF_AUTH_ANONYMOUS_ENABLED, 'true');
    assert.equal(g.environment!.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
    assert.equal(g.secrets, undefined);
  });

  it('re-created (config hash) when its provisioning changes, not by a rotated stats password', () => {
    const hashOf = (files: Map<string, string>) => composeOf(files).services.grafana!.labels['io.redis-ha.config-hash'];
    const base = hashOf(filesOf());
    assert.equal(hashOf(filesOf(ON, { ...FIXED_SECRETS, 'haproxy-stats': 'another-stats-password-'.padEnd(40, 'y') })), base);
    const fast = filesOf({ ...ON, profile: 'fast' });
    assert.notEqual(fast.get(GRAFANA_DATASOURCE_FILE), filesOf().get(GRAFANA_DATASOURCE_FILE), 'the scrape interval is in the datasource');
    assert.notEqual(hashOf(fast), base);
  });

  it('on swarm (with Alertmanager): pinned beside Prometheus; files of the same name get distinct Swarm configs, within 64 characters at the longest name', () => {
    const t = topologyOf('full', { target: 'swarm', name: 'x'.repeat(SWARM_MAX_NAME), swarm: { nodes: ['n1', 'n2', 'n3'] }, monitoring: { grafana: { enabled: true }, alertmanager: { enabled: true } } });
    const stack = parse(synthesize(t, FIXED_SECRETS).get('stack.yaml')!) as {
      services: Record<string, { deploy: { placement?: { constraints?: string[] } }; configs?: { source: string; target: string }[] }>;
      configs: Record<string, { name: string; file: string }>;
    };
    assert.deepEqual(stack.services.grafana!.deploy.placement?.constraints, ['node.hostname == n3']);
    for (const c of Object.values(stack.configs)) assert.ok(c.name.length <= 64, c.name);
    const files = Object.values(stack.configs).map((c) => c.file);
    assert.equal(new Set(files).size, files.length);
    assert.ok(files.includes('./prometheus/web.yml') && files.includes('./alertmanager/web.yml'));
    assert.deepEqual(stack.services.grafana!.configs!.map((c) => c.target).sort(), [
      '/etc/grafana/dashboards/redis-ha.json',
      '/etc/grafana/provisioning/dashboards/dashboards.yml',
      '/etc/grafana/provisioning/datasources/datasource.yml',
    ]);
  });
});
