// Alertmanager (monitoring.alertmanager) live, on a real `deploy full --alertmanager` with the
// fast profile (alerts evaluated every 2 s, group_wait 2 s):
// - its port answers only with the stats login (401 without, or with a wrong password);
// - `status` names its address and says it is ready; Prometheus lists it as its Alertmanager;
// - the master killed (docker kill), Prometheus's RedisNodeDown / RedisMasterChanged reach it, and
//   with no receiver it notifies nothing (its notification counters stay at 0);
// - a webhook receiver added by a redeploy (a rolling re-creation of Alertmanager alone) is
//   posted the next master's loss (a listener container of this test on the deployment's
//   network: tests send traffic to nothing outside this machine's loopback and own containers).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatusSnapshot } from '../../src/health/status.js';
import { containerId, dockerAnswers, dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, LOCAL_IMAGES, projectResources, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';

const NAME = 'am-it';
const PORT_BASE = 7700;
const AM = `http://127.0.0.1:${PORT_BASE + 204}`;
const PROMETHEUS = `http://127.0.0.1:${PORT_BASE + 203}`;
const FIRED_BY_A_LOST_MASTER = ['RedisNodeDown', 'RedisMasterChanged'];

const deployArgs = (...extra: string[]) => ['deploy', 'full', '--name', NAME, '--port-base', String(PORT_BASE), '--profile', 'fast', '--alertmanager', '--json', ...IMAGE_FLAGS, ...extra];

interface ReceivedAlert {
  labels: Record<string, string>;
  status: { state: string };
}

/** The webhook listener: a container of this test on the deployment's front network, named `hook` there. */
const HOOK = `${NAME}-hook`;
/**
 * Busybox's nc answers every connection 200 and prints the request: Alertmanager's POSTs are
 * read back from the container's log.
 */
const HOOK_SCRIPT = `while true; do printf 'HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n' | nc -l -p 8080; echo; done`;

describe('Alertmanager in a live deployment', { timeout: 300_000, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-alertmanager-');
  const dir = join(work.dir, '.redis-ha', NAME);
  let deployed = false;
  let authorization = '';

  const get = (base: string, path: string, auth = authorization) => fetch(`${base}${path}`, { headers: auth ? { authorization: auth } : {} });
  const alerts = async () => (await (await get(AM, '/api/v2/alerts')).json()) as ReceivedAlert[];
  const status = async () => {
    const r = await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir });
    return { exitCode: r.exitCode, snapshot: JSON.parse(r.stdout) as StatusSnapshot };
  };
  const kill = (service: string) => {
    const r = spawnSync('docker', ['kill', containerId(NAME, service)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `docker kill ${service}: ${r.stderr}`);
  };

  before(async () => {
    if (!dockerAnswers()) return;
    forceRemoveProject(NAME);
    const r = await runCli(deployArgs(), { cwd: work.dir, timeoutMs: 300_000 });
    assert.equal(r.exitCode, 0, `deploy failed:\n${r.stderr}\n${r.stdout}`);
    deployed = true;
    const password = readFileSync(join(dir, 'secrets', 'haproxy-stats'), 'utf8').trim();
    authorization = `Basic ${Buffer.from(`stats:${password}`).toString('base64')}`;
  });

  after(async () => {
    spawnSync('docker', ['rm', '-f', '-v', HOOK]);
    if (deployed) await runCli(['cleanup', '--name', NAME], { cwd: work.dir }).catch(() => undefined);
    forceRemoveProject(NAME);
    work.remove();
  });

  it('answers only with the stats login', async (t) => {
    if (!requireDocker(t)) return;
    assert.equal((await get(AM, '/api/v2/alerts', '')).status, 401, 'no answer without the login');
    const wrong = `Basic ${Buffer.from('stats:not-the-password').toString('base64')}`;
    assert.equal((await get(AM, '/api/v2/alerts', wrong)).status, 401, 'nor with a wrong password');
    assert.equal((await get(AM, '/-/ready', '')).status, 401, 'readiness too');
    assert.equal((await get(AM, '/api/v2/alerts')).status, 200);
  });

  it('`status` names it and says it is ready; Prometheus sends to it', async (t) => {
    if (!requireDocker(t)) return;
    const { exitCode, snapshot } = await status();
    assert.equal(exitCode, 0, JSON.stringify(snapshot.checks));
    assert.equal(snapshot.monitoring?.alertmanagerAddress, AM);
    assert.deepEqual(snapshot.monitoring?.alertmanager, { ready: true });
    assert.match(snapshot.checks.find((c) => c.name === 'monitoring')!.detail, /Alertmanager ready/);
    type Active = { data: { activeAlertmanagers: { url: string }[] } };
    let urls: string[] = [];
    // Prometheus applies its Alertmanager list a few seconds after it starts (its discovery's update interval).
    await until(
      'Prometheus to list the deployment Alertmanager as its active one',
      async () => {
        urls = ((await (await get(PROMETHEUS, '/api/v1/alertmanagers')).json()) as Active).data.activeAlertmanagers.map((a) => a.url);
        return urls.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 500, state: () => JSON.stringify(urls) },
    );
    assert.deepEqual(urls, ['http://alertmanager:9093/api/v2/alerts']);
  });

  it("receives the alerts of a killed master from Prometheus, and with no receiver notifies nothing", async (t) => {
    if (!requireDocker(t)) return;
    const { snapshot } = await status();
    kill(snapshot.master!);
    let seen: ReceivedAlert[] = [];
    await until(
      `Alertmanager to list ${FIRED_BY_A_LOST_MASTER.join(' or ')} of deployment ${NAME}`,
      async () => {
        seen = await alerts();
        return seen.some((a) => FIRED_BY_A_LOST_MASTER.includes(a.labels.alertname ?? '') && a.labels.deployment === NAME && a.status.state === 'active');
      },
      { timeoutMs: 60_000, intervalMs: 500, state: () => JSON.stringify(seen.map((a) => a.labels.alertname)) },
    );
    // Past group_wait (2 s on the fast profile): the group was due, and had nowhere to go.
    await new Promise((r) => setTimeout(r, 5000));
    const metrics = await (await get(AM, '/metrics')).text();
    const sent = [...metrics.matchAll(/^alertmanager_notifications_total\{[^}]*\} (\S+)$/gm)].map((m) => Number(m[1]));
    assert.ok(sent.length > 0, 'the notification counters are there');
    assert.deepEqual(sent.filter((n) => n !== 0), [], 'no notification of any kind was sent');
    assert.match(metrics, /^alertmanager_alerts_received_total\{status="firing",version="v2"\} [1-9]/m);
  });

  it('a webhook receiver added by a redeploy (Alertmanager alone re-created) is posted the next lost master', async (t) => {
    if (!requireDocker(t)) return;
    spawnSync('docker', ['rm', '-f', '-v', HOOK]);
    const started = spawnSync('docker', ['run', '-d', '--name', HOOK, '--network', `${NAME}_redis-ha`, '--network-alias', 'hook', '--entrypoint', 'sh', LOCAL_IMAGES.redis, '-c', HOOK_SCRIPT], { encoding: 'utf8' });
    assert.equal(started.status, 0, `the webhook listener: ${started.stderr}`);
    // Gone before the cleanup test: a container of its own on the network would keep it.
    t.after(() => spawnSync('docker', ['rm', '-f', '-v', HOOK]));
    const posts = () => {
      const log = spawnSync('docker', ['logs', HOOK], { encoding: 'utf8' }).stdout;
      return log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { groupLabels: Record<string, string>; alerts: { labels: Record<string, string>; status: string }[] });
    };

    // The killed node back first: a rolling deploy starts only from a healthy deployment.
    const killed = (await status()).snapshot.containers.find((c) => c.state !== 'running')?.service;
    if (killed) assert.equal(spawnSync('docker', ['start', containerId(NAME, killed)]).status, 0);
    let last: Awaited<ReturnType<typeof status>> | undefined;
    await until('the deployment to be healthy again', async () => (last = await status()).exitCode === 0, {
      timeoutMs: 90_000,
      intervalMs: 1000,
      state: () => JSON.stringify(last?.snapshot.checks.filter((c) => !c.ok)),
    });

    const file = join(work.dir, 'webhook.yaml');
    writeFileSync(file, `monitoring:\n  alertmanager:\n    receiver:\n      webhookUrl: http://hook:8080/hook\n`);
    const r = await runCli(deployArgs('--file', file), { cwd: work.dir, timeoutMs: 300_000 });
    assert.equal(r.exitCode, 0, `redeploy failed:\n${r.stderr}\n${r.stdout}`);
    assert.deepEqual((JSON.parse(r.stdout) as { rollout: { plan: string[] } }).rollout.plan, ['re-create alertmanager (alertmanager)']);

    kill(last!.snapshot.master!);
    // On a timeout: every post (its group, each alert's name, address and status) and what
    // Alertmanager holds (a CI run once saw one post of RedisMasterChanged, and it was not firing).
    let seen = '';
    await until(
      `the webhook to be posted ${FIRED_BY_A_LOST_MASTER.join(' or ')}`,
      async () => {
        const got = posts();
        const held = await alerts().catch(() => [] as ReceivedAlert[]);
        seen = JSON.stringify({
          posts: got.map((p) => ({ group: p.groupLabels, alerts: p.alerts.map((a) => [a.labels.alertname, a.labels.master_address ?? a.labels.instance, a.status]) })),
          alertmanager: held.map((a) => [a.labels.alertname, a.labels.master_address ?? a.labels.instance, a.status.state]),
        });
        return got.some((p) => p.groupLabels.deployment === NAME && p.alerts.some((a) => FIRED_BY_A_LOST_MASTER.includes(a.labels.alertname ?? '') && a.status === 'firing'));
      },
      { timeoutMs: 90_000, intervalMs: 500, state: () => seen },
    );
  });

  it('cleanup removes it and its volume', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    assert.ok(projectResources(NAME).volumes.includes(`${NAME}_alertmanager-data`), 'its data volume is there before');
    const r = await runCli(['cleanup', '--name', NAME], { cwd: work.dir });
    assert.equal(r.exitCode, 0, r.stderr);
    deployed = false;
    assert.deepEqual(projectResources(NAME), { containers: [], networks: [], volumes: [] });
  });
});
