// Runs a rollout plan (rollout-plan.ts) on a live deployment, one node at a time, waiting
// after each step until the deployment is steady again: every container healthy, every
// replica linked and caught up, every Sentinel naming the master, seeing every replica and
// peer with CKQUORUM OK, HAProxy routing to the master. Ctrl-C (the signal) is checked between
// steps only: the node being changed is finished and waited for, so an interrupted rollout
// leaves a healthy topology, part old and part new.
import { parse as parseYaml } from 'yaml';
import { addressOf, type Deployment } from '../deployment.js';
import { EnvironmentError, FailedError } from '../errors.js';
import { type CheckName, type StatusSnapshot } from '../health/status.js';
import { renderedSentinelSettings } from '../health/drift.js';
import { waitFor, WaitTimeoutError } from '../wait.js';
import { LABEL_CONFIG_HASH } from '../labels.js';
import { redisNodeNamed, redisNodes, sentinelNodes, REDIS_PORT } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { pairsToRecord, withConnection } from '../probes/connect.js';
import { probeDrift, probeHaproxyConfigHash } from '../probes/drift.js';
import { DEFAULT_RELINK_MS, setRelinkPeriod, SWARM_RELINK_MS } from '../probes/sentinel.js';
import type { ContainerInfo, ProjectSpec, Runtime } from '../runtime/runtime.js';
import { haproxyConfigHash } from '../synth/configs.js';
import { checkCluster } from '../health/cluster.js';
import { probeCluster } from '../probes/cluster.js';
import { runClusterSwitchover, type ClusterSwitchoverResult } from './cluster-switchover.js';
import { describeClusterScale, runClusterScale, type ClusterScaleResult } from './cluster-scale.js';
import { planShardChange, scaleShards } from './cluster-scale-plan.js';
import { removeServices } from './remove-services.js';
import { describeStep, stepServices, type ClusterRolloutInput, type RolloutInput, type RolloutPlan, type RolloutStep } from './rollout-plan.js';
import { majorityMaster } from './switchover-plan.js';
import { readLiveView, runSwitchover, type SwitchoverResult } from './switchover.js';
import { waitHealthy } from '../health/wait-healthy.js';
import { changedServices } from '../runtime/stack-stage.js';
import type { StackRollout } from './stack-rollout.js';

/** What a task list offers (report/tasks.ts TaskList fits). */
export interface RolloutProgress {
  add(id: string, title: string): void;
  start(id: string, detail?: string): void;
  update(id: string, detail: string): void;
  finish(id: string, state: 'done' | 'failed' | 'skipped', detail?: string): void;
}

export interface RolloutContext {
  runtime: Runtime;
  /** For `compose up` of single services; not needed with `replace`. */
  project?: ProjectSpec;
  /** How a node is re-created (default: up --no-deps [--force-recreate]); test-failover restarts instead. */
  replace?: (service: string) => Promise<void>;
  /** The deployment with the topology just rendered. */
  deployment: Deployment;
  signal: AbortSignal;
  progress?: RolloutProgress;
  /** Bound on each step's wait for a steady deployment. */
  stepTimeoutMs?: number;
  /** On swarm: services are updated and removed through staged stack files (with `replace` its update). */
  stack?: StackRollout;
}

export interface RolloutStepResult {
  step: string;
  ms: number;
  detail?: string;
}

export interface RolloutResult {
  steps: RolloutStepResult[];
  /** Ctrl-C stopped it between two steps. */
  interrupted: boolean;
  /** Services left on the old config (or not yet added / removed) when interrupted. */
  notDone: string[];
  switchovers: SwitchoverResult[];
  /** Cluster: the CLUSTER FAILOVERs that moved a master away before its re-creation. */
  clusterFailovers?: ClusterSwitchoverResult['shards'];
  /** Cluster: shards added or removed, with the slots moved. */
  clusterScale?: ClusterScaleResult[];
}

/** The private copy haproxy-start.sh writes (passwords filled in) and HAProxy runs from. */
const HAPROXY_LIVE_CONFIG = '/tmp/haproxy.cfg';

const STEADY: CheckName[] = ['containers', 'replication', 'sentinels', 'haproxy'];
/** A cluster is steady when every slot is served, every node agrees, replicas are linked and caught up. */
const CLUSTER_STEADY: CheckName[] = ['containers', 'cluster'];

/** Reads what the plan is made from: live labels, the master, Sentinel settings, HAProxy's loaded config. */
export async function readRolloutInput(d: Deployment, containers: ContainerInfo[], renderedHashes: Record<string, string>): Promise<RolloutInput> {
  const t = d.topology;
  const live = containers.map((c) => ({ service: c.service, configHash: c.labels[LABEL_CONFIG_HASH] }));
  const current = topologyNow(t, containers);
  const view = await readLiveView({ ...d, topology: current });
  const master = t.sentinel.enabled
    ? majorityMaster(view.sentinels, view.sentinels.length)
    : view.nodes.filter((n) => n.role === 'master').map((n) => n.name)[0];
  const probe = await probeDrift({ ...d, topology: current }, []);
  return {
    topology: t,
    renderedHashes,
    live,
    master,
    sentinelSettings: probe.sentinels,
    renderedSentinelSettings: renderedSentinelSettings(t),
    haproxyLoadedHash: probe.haproxy?.configHash,
    haproxyRenderedHash: t.haproxy.enabled ? haproxyConfigHash(t) : undefined,
  };
}

/** A cluster's plan input: live labels and the nodes that serve slots now (refused unless the cluster is healthy). */
export async function readClusterRolloutInput(d: Deployment, containers: ContainerInfo[], renderedHashes: Record<string, string>): Promise<ClusterRolloutInput> {
  const t = d.topology;
  // The Redis nodes that run: while shards are added or removed, not the topology's.
  const running = containers.map((c) => c.service).filter((s) => /^redis-\d+$/.test(s));
  const wanted = redisNodes(t).map((n) => n.name);
  const scaling = running.length !== wanted.length || running.some((s) => !wanted.includes(s));
  const states = await probeCluster(d, running.map((s) => redisNodeNamed(t, s)));
  const { verdict, shards } = checkCluster(t, states, { caughtUp: false, shape: !scaling });
  if (!verdict.ok) {
    throw new FailedError(
      `the cluster of ${t.name} is not healthy, so the rolling deploy did not start (nothing was changed): ${verdict.detail}`,
      `see \`redis-ha status --name ${t.name}\`; fix what it names, then deploy again`,
    );
  }
  const input: ClusterRolloutInput = { topology: t, renderedHashes, live: containers.map((c) => ({ service: c.service, configHash: c.labels[LABEL_CONFIG_HASH] })), masters: shards.map((s) => s.master) };
  if (scaling || shards.length !== t.cluster.shards) {
    // Refused here (exit 2, nothing changed) when the live cluster cannot become the topology's.
    const plan = planShardChange({ shards: scaleShards(shards), running, wanted, target: t.cluster });
    input.scale = { from: shards.length, start: plan.start, remove: plan.remove };
  }
  return input;
}

/**
 * On swarm a service is changed when its stack definition is (its image, its configs and secrets
 * as the objects they name, its settings), whatever its config-hash label says: Swarm replaces
 * its task for any of them. So a Sentinel setting or a HAProxy config is a re-creation there,
 * done one service at a time like the rest (no live SENTINEL SET alone, no HAProxy reload: the
 * swarm config they read is another object). The input's hashes say so.
 */
export function swarmRolloutInput(input: RolloutInput, liveStack: string, nextStack: string): Pick<RolloutInput, 'live' | 'haproxyLoadedHash'> {
  const changed = changedServices(liveStack, nextStack);
  return {
    live: input.live.map((l) => ({
      service: l.service,
      configHash: changed.has(l.service) ? `${l.configHash ?? ''}~changed` : (input.renderedHashes[l.service] ?? l.configHash),
    })),
    haproxyLoadedHash: input.haproxyRenderedHash,
  };
}

/**
 * The topology as it runs now: the rendered one with the nodes that have a container (during a
 * scale-up some are not there yet, during a scale-down some are still there).
 */
export function topologyNow(t: Topology, containers: ContainerInfo[]): Topology {
  const services = new Set(containers.map((c) => c.service));
  const count = (prefix: string) => [...services].filter((s) => new RegExp(`^${prefix}-\\d+$`).test(s)).length;
  const sentinels = count('sentinel');
  return {
    ...t,
    replicas: Math.max(0, count('redis') - 1),
    sentinel: { ...t.sentinel, enabled: t.sentinel.enabled && sentinels > 0, count: sentinels },
    haproxy: { ...t.haproxy, enabled: t.haproxy.enabled && services.has('haproxy') },
    exporter: { ...t.exporter, enabled: t.exporter.enabled && services.has('exporter') },
    monitoring: {
      ...t.monitoring,
      enabled: t.monitoring.enabled && services.has('prometheus'),
      alertmanager: { ...t.monitoring.alertmanager, enabled: t.monitoring.alertmanager.enabled && services.has('alertmanager') },
      grafana: { ...t.monitoring.grafana, enabled: t.monitoring.grafana.enabled && services.has('grafana') },
    },
  };
}

/** Every Sentinel of `d`'s min-link-reconnect-period: SWARM_RELINK_MS during an operation, DEFAULT_RELINK_MS after (see setRelinkPeriod). */
export async function setSentinelRelink(d: Deployment, ms: number): Promise<void> {
  await Promise.all(sentinelNodes(d.topology).map((s) => setRelinkPeriod({ host: addressOf(d, s.name), port: s.hostPort }, d.auth, ms)));
}

export async function runRollout(plan: RolloutPlan, ctx: RolloutContext): Promise<RolloutResult> {
  const { runtime, deployment: d, signal, progress } = ctx;
  const t = d.topology;
  const stepTimeoutMs = ctx.stepTimeoutMs ?? 90_000;
  const ids = plan.steps.map((_, i) => `rollout-${i}`);
  plan.steps.forEach((s, i) => progress?.add(ids[i]!, describeStep(s)));
  const result: RolloutResult = { steps: [], interrupted: false, notDone: [], switchovers: [] };
  const now = async () => ({ ...d, topology: topologyNow(t, await runtime.containers(t.name)) });

  /** Waits until the deployment (as it runs now) passes the steady checks. */
  const steady = async (id: string): Promise<StatusSnapshot> => {
    try {
      return await waitHealthy(runtime, d, {
        caughtUp: true,
        checks: t.cluster.enabled ? CLUSTER_STEADY : STEADY,
        timeoutMs: stepTimeoutMs,
        condition: 'the deployment to be steady again',
        deploymentNow: (containers) => ({ ...d, topology: topologyNow(t, containers) }),
        onPoll: (_s, failing) => {
          if (failing) progress?.update(id, `${failing.name}: ${failing.detail}`);
        },
      });
    } catch (err) {
      if (err instanceof WaitTimeoutError) throw new FailedError(`rollout: ${err.message}`, `inspect with \`redis-ha status --name ${t.name}\`; deploy again to resume`);
      throw err;
    }
  };

  try {
    for (let i = 0; i < plan.steps.length; i++) {
      const step = plan.steps[i]!;
      if (signal.aborted) {
        result.interrupted = true;
        for (let j = i; j < plan.steps.length; j++) progress?.finish(ids[j]!, 'skipped', 'interrupted');
        result.notDone = [...new Set(plan.steps.slice(i).flatMap(stepServices))];
        break;
      }
      const id = ids[i]!;
      const started = performance.now();
      progress?.start(id);
      // Swarm: the Sentinels find a re-created task within a second (a Sentinel re-created by the
      // step before starts with the default again).
      if (t.target === 'swarm') await setSentinelRelink(await now(), SWARM_RELINK_MS);
      try {
        const detail = await runStep(step, { ...ctx, deployment: d }, id, now, steady, result);
        progress?.finish(id, 'done', detail);
        result.steps.push({ step: describeStep(step), ms: Math.round(performance.now() - started), detail });
      } catch (err) {
        progress?.finish(id, 'failed');
        for (let j = i + 1; j < plan.steps.length; j++) progress?.finish(ids[j]!, 'skipped');
        throw err;
      }
    }
  } finally {
    // Sentinel's default again once the steps are done (see setRelinkPeriod).
    if (t.target === 'swarm') await setSentinelRelink(await now(), DEFAULT_RELINK_MS).catch(() => undefined);
  }
  return result;
}

async function runStep(
  step: RolloutStep,
  ctx: RolloutContext,
  id: string,
  now: () => Promise<Deployment>,
  steady: (id: string) => Promise<StatusSnapshot>,
  result: RolloutResult,
): Promise<string | undefined> {
  const { runtime, project, deployment: d, progress } = ctx;
  const t = d.topology;
  switch (step.kind) {
    case 'add':
    case 'recreate': {
      progress?.update(id, ctx.replace ? 'restart' : 'compose up');
      const replace = ctx.replace ?? ((service: string) => runtime.up(project!, { services: [service], noDeps: true, forceRecreate: step.kind === 'recreate' }));
      await replace(step.service).catch((err: Error) => {
        throw new EnvironmentError(
          `${ctx.replace ? 'restarting' : 'compose up of'} ${step.service} failed during the rolling deploy of ${t.name} (${result.steps.length} step(s) done before; nothing is rolled back): ${err.message}`,
          `see \`redis-ha status --name ${t.name}\`; fix the cause and deploy again to resume`,
          { cause: err },
        );
      });
      const s = await steady(id);
      return t.cluster.enabled ? 'steady; every slot served, replicas caught up' : `steady; master ${s.master}`;
    }
    case 'cluster-scale': {
      if (!project) throw new Error('cluster-scale needs the compose project');
      // Slots move at a few ms each (a third of 100 000 keys: ~15 s here): a longer bound than a node's step.
      const stack = ctx.stack;
      const r = await runClusterScale({
        runtime,
        project,
        deployment: d,
        timeoutMs: Math.max(ctx.stepTimeoutMs ?? 90_000, 600_000),
        onStep: (detail) => progress?.update(id, detail),
        ...(stack ? { services: { start: async (list: string[]) => { for (const s of list) await stack.update(s); }, remove: (list: string[]) => stack.remove(list) } } : {}),
      });
      (result.clusterScale ??= []).push(r);
      await steady(id);
      return describeClusterScale(r);
    }
    case 'cluster-failover': {
      const { shards } = checkCluster(t, await probeCluster(d), { caughtUp: false });
      const shard = shards.findIndex((x) => x.master === step.from) + 1;
      // Moved by itself since the plan (a failover): nothing to switch, its re-creation follows.
      if (!shard) return `${step.from} no longer serves slots`;
      // Not given the signal: once sent, the switch is finished (the current node).
      const r = await runClusterSwitchover({ deployment: d, shard, timeoutMs: ctx.stepTimeoutMs ?? 90_000, onStep: (_s, detail) => progress?.update(id, detail) });
      (result.clusterFailovers ??= []).push(...r.shards);
      const [x] = r.shards;
      return x ? `shard ${x.shard}: ${x.oldMaster} -> ${x.newMaster}, promoted ${x.promotedMs} ms, every node agreed ${x.agreedMs} ms` : undefined;
    }
    case 'switchover': {
      const live = await now();
      const view = await readLiveView(live);
      // The most up-to-date linked replica that stays; none named: Sentinel picks among the caught-up ones.
      const candidates = view.nodes
        .filter((n) => n.reachable && n.role === 'slave' && n.linkUp && n.masterAddress === `${step.from}:${REDIS_PORT}` && !step.avoid.includes(n.name))
        .sort((a, b) => (b.offset ?? 0) - (a.offset ?? 0) || a.name.localeCompare(b.name));
      if (!candidates.length) throw new FailedError(`rollout: no linked replica of ${step.from} to switch over to`, `check with \`redis-ha status --name ${t.name}\``);
      const to = step.avoid.length ? candidates[0]!.name : undefined;
      // Not given the signal: once started, the switch is finished (the current node).
      const r = await runSwitchover({ deployment: live, to, onStep: (_s, detail) => progress?.update(id, detail) });
      result.switchovers.push(r);
      await steady(id);
      return `${r.oldMaster} -> ${r.newMaster}, writes paused ${r.timings.pausedMs} ms, old master resync ${r.resync.kind}`;
    }
    case 'sentinel-settings': {
      const live = await now();
      for (const change of step.changes) {
        const node = sentinelNodes(live.topology).find((s) => s.name === change.service);
        if (!node) continue;
        await withConnection({ host: addressOf(d, change.service), port: node.hostPort }, d.auth, async (r) => {
          await r.call('SENTINEL', 'SET', t.sentinel.masterName, ...Object.entries(change.settings).flat());
          const after = pairsToRecord(await r.call('SENTINEL', 'MASTER', t.sentinel.masterName));
          const wrong = Object.entries(change.settings).filter(([k, v]) => after[k] !== v);
          if (wrong.length) {
            throw new FailedError(
              `rollout: ${change.service} reports ${wrong.map(([k]) => `${k} ${after[k]}`).join(', ')} after SENTINEL SET`,
              `set it by hand (redis-cli -p ${node.hostPort} SENTINEL SET ...)`,
            );
          }
        });
      }
      return 'applied live and read back';
    }
    case 'remove': {
      if (ctx.stack) {
        await ctx.stack.remove(step.services);
        await steady(id);
        return `${step.services.join(', ')} and their data removed from the stack`;
      }
      // Their data goes too: a node added again later starts clean (a replica resyncs anyway).
      const removed = await removeServices(runtime, t.name, step.services);
      await steady(id);
      return `${removed} container(s) and their data removed`;
    }
    case 'reset-sentinels': {
      const live = await now();
      for (const s of sentinelNodes(live.topology)) {
        progress?.update(id, `SENTINEL RESET on ${s.name}`);
        await resetSentinel(live, s.name, s.hostPort, step.forget);
      }
      return `every Sentinel forgot ${step.forget.join(', ')} and re-learnt the rest`;
    }
    case 'haproxy-reload': {
      const [c] = (await runtime.containers(t.name)).filter((x) => x.service === 'haproxy');
      if (!c) throw new FailedError('rollout: no HAProxy container to reload', 'deploy again');
      // haproxy-start.sh fills the passwords into the private copy HAProxy runs from; check it
      // before the reload (a config HAProxy refuses would leave the old workers running).
      const copy = await runtime.exec(c.id, ['/bin/sh', '/usr/local/etc/redis-ha/scripts/haproxy-start.sh', '--render-only']);
      if (copy.exitCode !== 0) throw new FailedError(`rollout: could not prepare HAProxy's new config: ${(copy.stderr || copy.stdout).trim()}`, 'the old config keeps running; see `docker logs` of the haproxy container');
      const check = await runtime.exec(c.id, ['haproxy', '-c', '-q', '-f', HAPROXY_LIVE_CONFIG]);
      if (check.exitCode !== 0) {
        throw new FailedError(`rollout: HAProxy refuses the new config, not reloaded: ${(check.stderr || check.stdout).trim()}`, 'the old config keeps running; fix the topology and deploy again');
      }
      // SIGUSR2 to the master process (PID 1, -W): new workers read the new config, old ones
      // finish their established connections.
      await runtime.containerAction('kill', c.id, { signal: 'SIGUSR2' });
      const want = haproxyConfigHash(t);
      await waitFor(
        'HAProxy to serve the new config',
        async () => {
          const p = await probeHaproxyConfigHash(addressOf(d, 'haproxy'), t.haproxy.statsPort, d.stats);
          return { verdict: p.configHash === want ? 'done' : 'waiting', value: true, state: p.configHash ?? p.error ?? '?' };
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      await steady(id);
      return `serves config ${want}`;
    }
  }
}

/** SENTINEL RESET, then wait until it names the master, sees every replica and peer, CKQUORUM OK, and none of `forget`. */
async function resetSentinel(d: Deployment, name: string, hostPort: number, forget: string[]): Promise<void> {
  const t = d.topology;
  const masterName = t.sentinel.masterName;
  const endpoint = { host: addressOf(d, name), port: hostPort };
  await withConnection(endpoint, d.auth, (r) => r.call('SENTINEL', 'RESET', masterName));
  const peers = sentinelNodes(t).map((s) => s.name).filter((s) => s !== name);
  await waitFor(
    `${name} to re-learn the replicas and its peers after SENTINEL RESET`,
    async () => {
      try {
        return await withConnection(endpoint, d.auth, async (r) => {
          const master = pairsToRecord(await r.call('SENTINEL', 'MASTER', masterName));
          const replicas = ((await r.call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(pairsToRecord);
          const sentinels = ((await r.call('SENTINEL', 'SENTINELS', masterName)) as unknown[]).map(pairsToRecord);
          const ckquorum = await r.call('SENTINEL', 'CKQUORUM', masterName).then(() => 'OK', (e: Error) => e.message);
          const expected = redisNodes(t).map((n) => n.name).filter((n) => n !== master.ip);
          const seen = replicas.filter((x) => !/s_down|disconnected/.test(x.flags ?? '')).map((x) => x.ip ?? '');
          const seenPeers = sentinels.map((x) => x.ip ?? '');
          const problems = [
            ...expected.filter((x) => !seen.includes(x)).map((x) => `does not see replica ${x} yet`),
            ...peers.filter((x) => !seenPeers.includes(x)).map((x) => `does not see Sentinel ${x} yet`),
            ...forget.filter((x) => replicas.some((y) => y.ip === x) || seenPeers.includes(x)).map((x) => `still knows ${x}`),
            ...(ckquorum === 'OK' ? [] : [`CKQUORUM: ${ckquorum}`]),
          ];
          return { verdict: problems.length ? 'waiting' : 'done', value: true, state: problems.join(', ') || 'ok' };
        });
      } catch (err) {
        return { verdict: 'waiting', value: true, state: (err as Error).message };
      }
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

/** service -> io.redis-ha.config-hash in a rendered compose file. */
export function renderedConfigHashes(composeText: string): Record<string, string> {
  const compose = parseYaml(composeText) as { services?: Record<string, { labels?: Record<string, string> }> };
  return Object.fromEntries(
    Object.entries(compose.services ?? {}).flatMap(([name, svc]) => (svc.labels?.[LABEL_CONFIG_HASH] ? [[name, svc.labels[LABEL_CONFIG_HASH]]] : [])),
  );
}
