// Alertmanager beside the deployment's Prometheus (monitoring.alertmanager, docs/monitoring.md):
// the model and its refusals, the service and its files, the status check. amtool and promtool
// read the rendered files in test/integration/real-tools.test.ts; a live one receives the alerts
// of a killed master in test/integration/alertmanager.test.ts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { parse } from 'yaml';
import { EXIT } from '../../src/errors.js';
import { checkContainers, checkMonitoring } from '../../src/health/status.js';
import { publishedPorts } from '../../src/model/nodes.js';
import { checkRules } from '../../src/model/rules.js';
import type { PrometheusProbe } from '../../src/probes/http.js';
import { endpoints } from '../../src/report/snippets.js';
import { imagesOf } from '../../src/runtime/preflight.js';
import type { ComposeFile } from '../../src/synth/compose.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { containersFor } from '../helpers/fake-runtime.js';
import { runMain } from '../helpers/main.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { problemsOf, topologyOf } from '../helpers/topology.js';

const ON = { monitoring: { alertmanager: { enabled: true } } };
const WEBHOOK = 'https://hooks.example.com/redis-ha?token=a1b2';
const withWebhook = (url = WEBHOOK) => ({ monitoring: { alertmanager: { enabled: true, receiver: { webhookUrl: url } } } });
const filesOf = (overrides: Record<string, unknown> = ON, secrets = FIXED_SECRETS) => synthesize(topologyOf('full', overrides), secrets);
const composeOf = (files: Map<string, string>) => parse(files.get('compose.yaml')!) as ComposeFile;

interface AlertmanagerYml {
  route: { receiver: string; group_by: string[]; group_wait: string; group_interval: string };
  receivers: { name: string; webhook_configs?: { url: string; send_resolved: boolean }[] }[];
}
interface PrometheusYml {
  global: { external_labels?: Record<string, string> };
  alerting?: { alertmanagers: { static_configs: { targets: string[] }[]; basic_auth?: { username: string; password_file: string } }[] };
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}
const alertmanagerYml = (files: Map<string, string>) => parse(files.get('alertmanager/alertmanager.yml')!) as AlertmanagerYml;
const prometheusYml = (files: Map<string, string>) => parse(files.get('prometheus/prometheus.yml')!) as PrometheusYml;

/** The CLI in-process (as test/unit/cli-main.test.ts runs it), in `cwd`. */

describe('alertmanager: the model', () => {
  it('off by default, in every preset; the port is portBase + 204, published only when on', () => {
    for (const preset of ['basic', 'sentinel', 'full'] as const) assert.equal(topologyOf(preset).monitoring.alertmanager.enabled, false, preset);
    assert.equal(topologyOf('full', { portBase: 8000 }).monitoring.alertmanager.port, 8204);
    assert.ok(!publishedPorts(topologyOf('full')).some((p) => p.service === 'alertmanager'));
    assert.ok(publishedPorts(topologyOf('full', ON)).some((p) => p.service === 'alertmanager' && p.port === 7204));
    assert.equal(topologyOf('full', ON).monitoring.alertmanager.image, 'prom/alertmanager:v0.27.0');
  });

  it('--alertmanager and --alertmanager-image set it; valid with monitoring', async () => {
    const r = await problemsOf({
      preset: 'full',
      overrides: [
        { path: 'monitoring.alertmanager.enabled', value: true, flag: '--alertmanager' },
        { path: 'monitoring.alertmanager.image', value: 'redis-ha-local/alertmanager:0.25', flag: '--alertmanager-image' },
      ],
    });
    assert.equal(r.valid, true, JSON.stringify(r.problems));
  });

  it('without monitoring it is refused at monitoring.alertmanager.enabled, saying what to do, and naming the flag', async () => {
    const r = await problemsOf({
      preset: 'full',
      overrides: [
        { path: 'monitoring.enabled', value: false, flag: '--monitoring' },
        { path: 'monitoring.alertmanager.enabled', value: true, flag: '--alertmanager' },
      ],
    });
    assert.equal(r.valid, false);
    const p = r.problems.filter((x) => x.path === 'monitoring.alertmanager.enabled');
    assert.equal(p.length, 1, JSON.stringify(r.problems));
    assert.equal(p[0]!.severity, 'error');
    assert.equal(p[0]!.source, '--alertmanager');
    assert.match(p[0]!.message, /deployment's own Prometheus.*monitoring\.enabled is false/);
    assert.match(p[0]!.hint ?? '', /monitoring\.enabled: true/);
    // Also without the rest of monitoring (sentinel: no HAProxy, no exporter), beside no other Alertmanager problem.
    assert.equal(checkRules(topologyOf('sentinel', ON)).filter((x) => x.path === 'monitoring.alertmanager.enabled').length, 1);
  });

  it('a webhook URL that is not http(s), has a blank, or is no URL is refused at its path', async () => {
    for (const url of ['ftp://hooks.example.com/x', 'https://hooks.example.com/a b', 'hooks.example.com/x', 'https://hooks.example.com/x\n  - url: http://evil', '']) {
      const r = await problemsOf({ preset: 'full', overrides: [{ path: 'monitoring.alertmanager', value: withWebhook(url).monitoring.alertmanager, flag: 'test' }] });
      assert.equal(r.valid, false, JSON.stringify(url));
      assert.ok(r.problems.some((p) => p.path === 'monitoring.alertmanager.receiver.webhookUrl' && /http:\/\/ or https:\/\/ URL/.test(p.message)), JSON.stringify(r.problems));
    }
    for (const url of [WEBHOOK, 'http://10.0.0.5:9000/hook']) {
      const ok = await problemsOf({ preset: 'full', overrides: [{ path: 'monitoring.alertmanager', value: withWebhook(url).monitoring.alertmanager, flag: 'test' }] });
      assert.equal(ok.valid, true, JSON.stringify(ok.problems));
    }
  });

  it('a receiver while Alertmanager is off is a warning; an unknown receiver key an error', async () => {
    const off = await problemsOf({ preset: 'full', overrides: [{ path: 'monitoring.alertmanager.receiver', value: { webhookUrl: WEBHOOK }, flag: 'test' }] });
    assert.equal(off.valid, true);
    assert.ok(off.problems.some((p) => p.severity === 'warning' && p.path === 'monitoring.alertmanager.receiver'));
    const typo = await problemsOf({ preset: 'full', overrides: [{ path: 'monitoring.alertmanager', value: { enabled: true, receiver: { webhookURL: WEBHOOK } }, flag: 'test' }] });
    assert.ok(typo.problems.some((p) => p.path === 'monitoring.alertmanager.receiver.webhookURL' && /did you mean "webhookUrl"/.test(p.hint ?? '')));
  });

  it('its port collides like any other published port; its image is checked like the others', () => {
    const t = topologyOf('full', { monitoring: { alertmanager: { enabled: true, port: 7203 } } });
    assert.ok(checkRules(t).some((p) => p.path === 'monitoring.alertmanager.port' && /already used by prometheus/.test(p.message)));
    const bad = topologyOf('full', { monitoring: { alertmanager: { enabled: true, image: 'prom/alertmanager:$TAG' } } });
    assert.ok(checkRules(bad).some((p) => p.path === 'monitoring.alertmanager.image' && p.severity === 'error'));
  });

  it('on swarm it follows monitoring: pinned beside Prometheus (the last node), its config a Swarm config', async () => {
    const r = await problemsOf({ preset: 'full', overrides: [{ path: 'target', value: 'swarm', flag: '--target' }, { path: 'monitoring.alertmanager.enabled', value: true, flag: '--alertmanager' }] });
    assert.equal(r.valid, true, JSON.stringify(r.problems));
    const t = topologyOf('full', { target: 'swarm', swarm: { nodes: ['n1', 'n2', 'n3'] }, ...ON });
    assert.equal(t.monitoring.alertmanager.enabled, true);
    const files = synthesize(t, FIXED_SECRETS);
    const am = (parse(files.get('stack.yaml')!) as { services: Record<string, { deploy: { placement?: { constraints?: string[] } }; configs: { target: string }[] }> }).services.alertmanager!;
    assert.deepEqual(am.deploy.placement?.constraints, ['node.hostname == n3']);
    assert.ok(am.configs.some((c) => c.target === '/etc/alertmanager/alertmanager.yml'));
  });

  it('the preflight pulls its image only when it is on', () => {
    assert.ok(!imagesOf(topologyOf('full')).includes('prom/alertmanager:v0.27.0'));
    assert.ok(imagesOf(topologyOf('full', ON)).includes('prom/alertmanager:v0.27.0'));
  });
});

describe('alertmanager: refused on the command line (exit 2, nothing written)', () => {
  for (const [label, argv] of [
    ['without monitoring', ['render', 'full', '--no-monitoring', '--alertmanager']],
    ['in a preset without monitoring', ['render', 'sentinel', '--alertmanager']],
  ] as const) {
    it(label, async (t) => {
      const cwd = await makeTempDir('redis-ha-alertmanager-');
      t.after(() => removeDir(cwd));
      const r = await runMain([...argv, '--out', 'out'], cwd);
      assert.equal(r.code, EXIT.usage, r.io.err());
      assert.match(r.io.err(), /monitoring\.alertmanager\.enabled \(--alertmanager\): Alertmanager receives/);
      assert.match(r.io.err(), /nothing was written/);
      assert.equal(existsSync(join(cwd, 'out')), false);
    });
  }
});

describe('alertmanager: the service and its files', () => {
  const files = filesOf();
  const compose = composeOf(files);
  const am = compose.services.alertmanager!;

  it("the official image's contract, hardened, no cluster, its port on bind, data in a named volume, the front network", () => {
    assert.equal(am.image, 'prom/alertmanager:v0.27.0');
    assert.equal(am.user, '65534:65534');
    assert.deepEqual(am.cap_drop, ['ALL']);
    assert.deepEqual(am.security_opt, ['no-new-privileges:true']);
    assert.equal(am.read_only, true);
    assert.equal(am.mem_limit, '128m');
    assert.deepEqual(am.command, [
      '--config.file=/etc/alertmanager/alertmanager.yml',
      '--storage.path=/alertmanager',
      '--cluster.listen-address=',
      '--web.config.file=/etc/alertmanager/web.yml',
    ]);
    assert.deepEqual(am.volumes, ['./alertmanager:/etc/alertmanager:ro', 'alertmanager-data:/alertmanager']);
    assert.deepEqual(am.ports, ['127.0.0.1:7204:9093']);
    assert.deepEqual(am.networks, ['redis-ha']);
    assert.equal(am.secrets, undefined, 'it reads no secret: web.yml holds a hash');
    assert.ok(compose.volumes['alertmanager-data']);
    assert.equal(composeOf(filesOf({})).services.alertmanager, undefined, 'none when off');
  });

  it('no receiver: one route to a receiver with no integration (it sends nothing anywhere), grouped by alert and deployment', () => {
    const y = alertmanagerYml(files);
    assert.deepEqual(y.route.group_by, ['alertname', 'deployment']);
    assert.equal(y.route.receiver, 'none');
    assert.deepEqual(y.receivers, [{ name: 'none' }]);
    assert.doesNotMatch(files.get('alertmanager/alertmanager.yml')!, /_configs:/);
  });

  it('a webhook: the one receiver posts there (resolved too), the URL written as it is', () => {
    const url = `${WEBHOOK}&x="quoted"#frag`;
    const y = alertmanagerYml(filesOf(withWebhook(url)));
    assert.equal(y.route.receiver, 'webhook');
    assert.deepEqual(y.receivers, [{ name: 'webhook', webhook_configs: [{ url, send_resolved: true }] }]);
  });

  it('group_wait and group_interval follow the profile: 30s and 5m, 2s and 10s on fast', () => {
    assert.equal(alertmanagerYml(files).route.group_wait, '30s');
    assert.equal(alertmanagerYml(files).route.group_interval, '5m');
    const fast = alertmanagerYml(filesOf({ profile: 'fast', ...ON })).route;
    assert.equal(fast.group_wait, '2s');
    // A second fault's alert joins its name's group from the first fault: notified within seconds too.
    assert.equal(fast.group_interval, '10s');
  });

  it("web.yml: the stats login, the same bcrypt hash format as Prometheus's", () => {
    const web = files.get('alertmanager/web.yml')!;
    assert.match(web, /Alertmanager \(its --web\.config\.file\)/);
    const hash = /^ {2}stats: (\S+)$/m.exec(web)?.[1] ?? '';
    assert.equal(bcrypt.compareSync(FIXED_SECRETS['haproxy-stats'], hash), true);
    assert.equal(bcrypt.compareSync(FIXED_SECRETS.admin, hash), false);
  });

  it('prometheus.yml: alerts go to alertmanager:9093 with the login, which it also scrapes; none of it when off', () => {
    const p = prometheusYml(files);
    assert.deepEqual(p.alerting, {
      alertmanagers: [{ static_configs: [{ targets: ['alertmanager:9093'] }], basic_auth: { username: 'stats', password_file: '/run/secrets/haproxy-stats' } }],
    });
    // The deployment label comes with every alert from its rule (alerts.yml), not from external_labels.
    assert.equal(p.global.external_labels, undefined);
    assert.ok(!/^ {8}labels:\n(?: {10}severity: \w+\n)(?! {10}deployment: "redis-ha")/m.test(files.get('prometheus/alerts.yml')!), 'every rule labels deployment');
    assert.deepEqual(p.scrape_configs.find((j) => j.job_name === 'redis-ha-redis-ha-alertmanager')?.static_configs[0]!.targets, ['alertmanager:9093']);
    const off = prometheusYml(filesOf({}));
    assert.equal(off.alerting, undefined);
    assert.equal(off.global.external_labels, undefined);
    assert.ok(!off.scrape_configs.some((j) => j.job_name.endsWith('-alertmanager')));
  });

  it('without users: no web.yml, no --web.config.file, no basic_auth toward it', () => {
    const open = filesOf({ auth: { enabled: false }, ...ON });
    assert.equal(open.has('alertmanager/web.yml'), false);
    assert.ok(!composeOf(open).services.alertmanager!.command!.some((a) => a.startsWith('--web.config.file')));
    assert.equal(prometheusYml(open).alerting!.alertmanagers[0]!.basic_auth, undefined);
  });

  it('a changed receiver re-creates Alertmanager (config hash), a rotated stats password does not; turning it on re-creates Prometheus', () => {
    const hashOf = (f: Map<string, string>, service: string) => composeOf(f).services[service]!.labels['io.redis-ha.config-hash'];
    assert.notEqual(hashOf(filesOf(withWebhook()), 'alertmanager'), hashOf(files, 'alertmanager'));
    assert.equal(hashOf(filesOf(ON, { ...FIXED_SECRETS, 'haproxy-stats': 'z'.repeat(43) }), 'alertmanager'), hashOf(files, 'alertmanager'));
    assert.notEqual(hashOf(files, 'prometheus'), hashOf(filesOf({}), 'prometheus'));
  });

  it('deploy prints where it answers', () => {
    assert.deepEqual(
      endpoints(topologyOf('full', ON)).find((e) => e.service === 'alertmanager'),
      { service: 'alertmanager', role: 'Alertmanager: alerts received, silences (login stats)', address: 'http://127.0.0.1:7204' },
    );
  });
});

describe('alertmanager: the status check', () => {
  const probe = (p: Partial<PrometheusProbe> = {}): PrometheusProbe => ({ reachable: true, ready: true, targets: { up: 10, unknown: 0, down: [] }, firing: [], ...p });

  it('ready: the monitoring check says so; not ready: it fails, naming Alertmanager and why', () => {
    assert.deepEqual(checkMonitoring(probe(), { ready: true }), {
      name: 'monitoring',
      ok: true,
      detail: 'Prometheus ready, 10 of 10 targets up; Alertmanager ready; alerts firing: none',
    });
    const down = checkMonitoring(probe(), { ready: false, error: 'http://127.0.0.1:7204/-/ready answered HTTP 401' });
    assert.equal(down.ok, false);
    assert.deepEqual(down.services, ['alertmanager']);
    assert.equal(down.detail, 'Alertmanager not ready (/-/ready: http://127.0.0.1:7204/-/ready answered HTTP 401); Prometheus ready, 10 of 10 targets up; alerts firing: none');
    const both = checkMonitoring(probe({ targets: { up: 9, unknown: 0, down: [{ job: 'j', instance: 'alertmanager:9093', error: 'connection refused' }] } }), { ready: false, error: 'fetch failed' });
    assert.deepEqual(both.services, ['prometheus', 'alertmanager']);
    assert.match(both.detail, /1 of 10 targets down \(alertmanager:9093: connection refused\); Alertmanager not ready/);
  });

  it('its container is expected when it is on', () => {
    const t = topologyOf('full', ON);
    assert.equal(checkContainers(t, containersFor(t)).ok, true);
    const missing = checkContainers(t, containersFor(t).filter((c) => c.service !== 'alertmanager'));
    assert.deepEqual([missing.ok, missing.services], [false, ['alertmanager']]);
  });
});
