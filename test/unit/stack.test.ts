// The Swarm stack file (src/synth/stack.ts): targeted assertions on the fields that make a
// topology work across hosts. The whole output is in test/golden/swarm-*/; the real tools
// (docker stack config, the compose-spec schema) read it in test/integration/stack-file.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { redisNodes, sentinelNodes } from '../../src/model/nodes.js';
import { placementLabels } from '../../src/model/placement.js';
import type { Topology } from '../../src/model/schema.js';
import { buildCompose, type ComposeFile } from '../../src/synth/compose.js';
import { buildStack, StackError, type StackFile } from '../../src/synth/stack.js';
import { COMPOSE_FILE, STACK_FILE, synthesize } from '../../src/synth/synthesize.js';
import { toLoadOptions } from '../../src/commands/topology-options.js';
import { changedServices, stageStack } from '../../src/runtime/stack-stage.js';
import { loadTopology } from '../../src/model/load.js';
import { stackRollout } from '../../src/operations/stack-rollout.js';
import { containersFor, FakeRuntime } from '../helpers/fake-runtime.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { problemsOf, topologyOf } from '../helpers/topology.js';

const swarm = (preset: 'basic' | 'sentinel' | 'full', extra: Record<string, unknown> = {}) =>
  topologyOf(preset, { target: 'swarm', bind: '0.0.0.0', ...extra });

/** The stack as written to stack.yaml, read back. */
function stackOf(t: Topology): StackFile {
  const text = synthesize(t, FIXED_SECRETS).get(STACK_FILE);
  assert.ok(text, 'stack.yaml is rendered for target swarm');
  return parse(text) as StackFile;
}

/** A compose object and the files it mounts, to feed buildStack() by hand. */
function composeAndFiles(t: Topology): { compose: ComposeFile; files: Map<string, string> } {
  const files = synthesize(t, FIXED_SECRETS);
  const compose = buildCompose(t, { redisConfigs: new Map(), sentinelConfigs: new Map(), scripts: '' });
  return { compose, files };
}

const composeOf = (t: Topology) => buildCompose(t, { redisConfigs: new Map(), sentinelConfigs: new Map(), scripts: '' });

describe('stack: --target', () => {
  it('--target swarm sets target in the topology', async () => {
    const { topology } = await loadTopology(toLoadOptions({ preset: 'sentinel', target: 'swarm', bind: '0.0.0.0' }, process.cwd()));
    assert.equal(topology.target, 'swarm');
  });

  it('a problem caused by --target names the flag', async () => {
    const { problems } = await problemsOf(toLoadOptions({ preset: 'sentinel', target: 'swarm' }, process.cwd()));
    assert.deepEqual(problems.map((p) => [p.path, p.source]), [['bind', undefined]]);
    const bad = await problemsOf(toLoadOptions({ preset: 'sentinel', target: 'swarmm' }, process.cwd()));
    assert.equal(bad.valid, false);
    assert.deepEqual(bad.problems.map((p) => [p.path, p.source, p.hint]), [['target', '--target', 'did you mean "swarm"?']]);
  });
});

describe('stack: which file is written', () => {
  it('target swarm writes stack.yaml and no compose.yaml; target compose the reverse', () => {
    const onSwarm = synthesize(swarm('sentinel'), FIXED_SECRETS);
    assert.ok(onSwarm.has(STACK_FILE) && !onSwarm.has(COMPOSE_FILE));
    const onCompose = synthesize(topologyOf('sentinel'), FIXED_SECRETS);
    assert.ok(onCompose.has(COMPOSE_FILE) && !onCompose.has(STACK_FILE));
  });

  it('the header says that ports bind every address of the node', () => {
    const text = synthesize(swarm('full'), FIXED_SECRETS).get(STACK_FILE)!;
    assert.match(text, /^# .*\n# Deploy from this directory: docker stack deploy -c stack.yaml redis-ha\n# Ports are published in host mode .* EVERY address/);
  });
});

for (const preset of ['basic', 'sentinel', 'full'] as const) {
  describe(`stack: ${preset} on swarm`, () => {
    const t = swarm(preset);
    const stack = stackOf(t);
    const services = Object.entries(stack.services);

    it('has version 3.8 (docker CLIs before 23 read a file without one as version 1)', () => {
      assert.equal(stack.version, '3.8');
    });

    it('every service uses dnsrr (no VIP), one replica except HAProxy, and its own name as hostname', () => {
      for (const [name, s] of services) {
        assert.equal(s.deploy.endpoint_mode, 'dnsrr', name);
        assert.equal(s.deploy.replicas, name === 'haproxy' ? 2 : 1, name);
        assert.equal(s.hostname, name);
      }
    });

    it('every port is published in host mode, long syntax, on the topology port', () => {
      const published = services.flatMap(([, s]) => s.ports ?? []);
      assert.ok(published.length > 0);
      for (const p of published) assert.deepEqual(Object.keys(p).sort(), ['mode', 'protocol', 'published', 'target']);
      assert.ok(published.every((p) => p.mode === 'host' && p.protocol === 'tcp'));
      assert.deepEqual(
        stack.services['redis-2']!.ports,
        [{ target: 6379, published: t.portBase + 2, protocol: 'tcp', mode: 'host' }],
      );
    });

    it('every redis-i and sentinel-i is pinned by its own constraint, and on 3 nodes no two Redis / Sentinels share one', () => {
      const pinned = [...redisNodes(t), ...sentinelNodes(t)].map((n) => n.name);
      const constraints = pinned.map((name) => stack.services[name]!.deploy.placement?.constraints);
      for (const [i, c] of constraints.entries()) assert.equal(c?.length, 1, `${pinned[i]} has one constraint`);
      assert.equal(new Set(constraints.map((c) => c![0])).size, pinned.length, 'each constraint differs');
      // The labels the constraints point at, as redis-ha would set them on 3 nodes.
      const nodeOf = new Map<string, string>();
      for (const [node, labels] of placementLabels(t, ['n1', 'n2', 'n3'])) {
        for (const label of labels) nodeOf.set(`node.labels.${label} == true`, node);
      }
      const nodeOfService = (name: string) => nodeOf.get(stack.services[name]!.deploy.placement!.constraints![0]!);
      const redisOn = redisNodes(t).map((n) => nodeOfService(n.name));
      assert.equal(new Set(redisOn).size, redisOn.length, `Redis nodes on distinct nodes: ${redisOn.join(' ')}`);
      const sentinelsOn = sentinelNodes(t).map((n) => nodeOfService(n.name));
      assert.equal(new Set(sentinelsOn).size, sentinelsOn.length, `Sentinels on distinct nodes: ${sentinelsOn.join(' ')}`);
    });

    it('no bind mount: volumes are named node-local ones or tmpfs, files come as configs', () => {
      for (const [name, s] of services) {
        for (const v of s.volumes ?? []) {
          if (typeof v === 'string') assert.ok(v.split(':')[0]! in stack.volumes, `${name}: ${v} is a named volume`);
          else assert.equal(v.type, 'tmpfs', `${name}: ${JSON.stringify(v)}`);
        }
      }
      for (const volume of Object.values(stack.volumes)) assert.equal(volume.driver, 'local');
      assert.deepEqual(stack.services['redis-1']!.volumes, [
        'redis-1-data:/data',
        { type: 'tmpfs', target: '/tmp', tmpfs: { size: 16 * 1024 * 1024 } },
      ]);
    });

    it('the hardening carries over where Swarm has it; what it has not is dropped, not passed on', () => {
      for (const [name, s] of services) {
        assert.match(String(s.user), /^\d+(:\d+)?$/, `${name} runs as a numeric non-root user`);
        assert.notEqual(String(s.user).split(':')[0], '0', name);
        assert.equal(s.read_only, true, name);
        assert.deepEqual(s.cap_drop, ['ALL'], name);
        assert.deepEqual(s.logging, { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } }, name);
        assert.equal(s.deploy.resources?.limits?.memory, composeOf(t).services[name]!.mem_limit, `${name}: the memory limit under deploy.resources`);
        for (const key of ['security_opt', 'pids_limit', 'tmpfs', 'mem_limit']) assert.ok(!(key in s), `${name} has no ${key}`);
      }
    });

    it('every secret is a rendered file, mounted 0400 and owned by the uid the service runs as', () => {
      const files = synthesize(t, FIXED_SECRETS);
      const withSecrets = services.filter(([, s]) => s.secrets?.length);
      assert.ok(withSecrets.length >= redisNodes(t).length, 'the nodes read secrets');
      for (const [name, s] of withSecrets) {
        const [uid, gid] = String(s.user).split(':');
        for (const ref of s.secrets!) {
          assert.deepEqual(ref, { source: ref.source, target: ref.source, uid, ...(gid ? { gid } : {}), mode: 0o400 }, name);
          const secret = stack.secrets![ref.source]!;
          assert.ok(files.has(secret.file.slice(2)), `${ref.source}: ${secret.file} is rendered`);
        }
      }
      assert.deepEqual(stack.services['redis-1']!.secrets!.map((r) => r.source), ['replica', 'health', 'admin']);
    });

    it('the network is an attachable overlay, and every service is on it', () => {
      assert.deepEqual(Object.keys(stack.networks), [t.network]);
      assert.equal(stack.networks[t.network]!.driver, 'overlay');
      assert.equal(stack.networks[t.network]!.attachable, true);
      for (const [name, s] of services) assert.deepEqual(s.networks, [t.network], name);
    });

    it('what docker stack deploy ignores is gone: restart, depends_on, container_name', () => {
      for (const [name, s] of services) {
        for (const key of ['restart', 'depends_on', 'container_name']) assert.ok(!(key in s), `${name} has no ${key}`);
        assert.equal(s.deploy.restart_policy.condition, 'any', name);
      }
    });

    it('no container healthcheck (a task would stay out of DNS until its first check, one interval after its start): disabled where compose has one', () => {
      const checked = Object.entries(composeOf(t).services).filter(([, c]) => c.healthcheck).map(([n]) => n);
      assert.ok(checked.length >= redisNodes(t).length, checked.join(', '));
      for (const [name, s] of services) assert.deepEqual(s.healthcheck, checked.includes(name) ? { disable: true } : undefined, name);
      for (const [name, s] of services) assert.ok(!JSON.stringify(s.environment ?? {}).includes('REDIS_HA_HEALTH'), name);
    });

    it('every config is a rendered file, hash-named, mounted where compose mounts it, scripts 0555', () => {
      const files = synthesize(t, FIXED_SECRETS);
      for (const [key, config] of Object.entries(stack.configs ?? {})) {
        assert.ok(files.has(config.file.slice(2)), `${key}: ${config.file} is rendered`);
        assert.match(config.name, new RegExp(`^${t.name}_${key.replace('.', '\\.')}-[0-9a-f]{10}$`));
      }
      const mounts = stack.services['redis-1']!.configs!;
      assert.deepEqual(
        mounts.find((m) => m.target === '/usr/local/etc/redis-ha/redis.conf'),
        { source: 'redis-1.conf', target: '/usr/local/etc/redis-ha/redis.conf', mode: 0o444 },
      );
      const script = mounts.find((m) => m.target === '/usr/local/etc/redis-ha/scripts/redis-start.sh');
      assert.deepEqual(script, { source: 'redis-start.sh', target: '/usr/local/etc/redis-ha/scripts/redis-start.sh', mode: 0o555 });
    });
  });
}

describe('stack: HAProxy and the exporter', () => {
  const stack = stackOf(swarm('full'));

  it('HAProxy runs 2 replicas, at most one per node, and floats (no node constraint)', () => {
    assert.deepEqual(stack.services.haproxy!.deploy.placement, { max_replicas_per_node: 1 });
    assert.equal(stack.services.haproxy!.deploy.replicas, 2);
    assert.equal(stackOf(swarm('full', { swarm: { haproxyReplicas: 3 } })).services.haproxy!.deploy.replicas, 3);
    assert.equal(stack.services.haproxy!.configs![0]!.target, '/usr/local/etc/redis-ha/haproxy/haproxy.cfg');
  });

  it('the exporter runs once, anywhere', () => {
    assert.equal(stack.services.exporter!.deploy.replicas, 1);
    assert.equal(stack.services.exporter!.deploy.placement, undefined);
  });
});

describe('stack: derived from the compose object', () => {
  it('named nodes pin redis-i by hostname', () => {
    const stack = stackOf(swarm('sentinel', { swarm: { nodes: ['h1', 'h2', 'h3'] } }));
    assert.deepEqual(stack.services['redis-3']!.deploy.placement, { constraints: ['node.hostname == h3'] });
    assert.deepEqual(stack.services['sentinel-1']!.deploy.placement, { constraints: ['node.hostname == h1'] });
  });

  it('a changed file gets a new config name; the other configs keep theirs', () => {
    const t = swarm('sentinel');
    const before = stackOf(t).configs!;
    const after = stackOf({ ...t, redis: { ...t.redis, maxmemory: '64mb' } }).configs!;
    const changed = Object.keys(before).filter((k) => before[k]!.name !== after[k]!.name);
    assert.deepEqual(changed, ['redis-1.conf', 'redis-2.conf', 'redis-3.conf']);
  });

  it('without persistence Swarm does not restart Redis (it would come back empty)', () => {
    const stack = stackOf(swarm('sentinel', { redis: { persistence: 'none' } }));
    assert.equal(stack.services['redis-1']!.deploy.restart_policy.condition, 'none');
    assert.equal(stack.services['sentinel-1']!.deploy.restart_policy.condition, 'any');
  });

  it('what a compose service gains flows into the stack: other keys, secrets as hash-named Swarm secrets, resources', () => {
    const t = swarm('sentinel');
    const { compose, files } = composeAndFiles(t);
    files.set('secrets/replication', 'secret-1');
    const hardened = {
      ...compose,
      secrets: { ...compose.secrets, replication: { file: './secrets/replication' } },
      services: {
        ...compose.services,
        'redis-1': { ...compose.services['redis-1']!, read_only: true, cap_drop: ['ALL'], secrets: ['replication'], mem_limit: '256m' },
        'sentinel-1': { ...compose.services['sentinel-1']!, deploy: { resources: { limits: { cpus: '0.5' } } } },
      },
    } as ComposeFile;
    const stack = buildStack(t, hardened, files);
    const redis1 = stack.services['redis-1']!;
    assert.equal(redis1.read_only, true);
    assert.deepEqual(redis1.cap_drop, ['ALL']);
    assert.deepEqual(redis1.secrets, [{ source: 'replication', target: 'replication', uid: '999', mode: 0o400 }]);
    assert.deepEqual(redis1.deploy.resources, { limits: { memory: '256m' } });
    assert.ok(!('mem_limit' in redis1));
    assert.deepEqual(stack.services['sentinel-1']!.deploy.resources, { limits: { cpus: '0.5', memory: '64m' } }, 'deploy: and mem_limit merged');
    assert.equal(stack.services['sentinel-1']!.deploy.endpoint_mode, 'dnsrr');
    assert.match(stack.secrets!.replication!.name, /^redis-ha_replication-[0-9a-f]{10}$/);
    assert.equal(stack.secrets!.replication!.file, './secrets/replication');
    files.set('secrets/replication', 'secret-2');
    assert.notEqual(buildStack(t, hardened, files).secrets!.replication!.name, stack.secrets!.replication!.name);
  });

  it('refuses a service with secrets that runs as a user name (Swarm owns secrets by number)', () => {
    const t = swarm('full');
    const { compose, files } = composeAndFiles(t);
    compose.services.haproxy!.user = 'haproxy';
    assert.throws(() => buildStack(t, compose, files), (err: Error) => err instanceof StackError && /haproxy runs as user "haproxy"/.test(err.message));
  });

  it('refuses a bind mount of a host path, naming the service', () => {
    const t = swarm('basic');
    const { compose, files } = composeAndFiles(t);
    compose.services['redis-1']!.volumes!.push('/etc/hosts:/etc/hosts:ro');
    assert.throws(() => buildStack(t, compose, files), (err: Error) => err instanceof StackError && /redis-1 mounts host path \/etc\/hosts/.test(err.message));
  });

  it('refuses a mounted file that was not rendered', () => {
    const t = swarm('basic');
    const { compose, files } = composeAndFiles(t);
    files.delete('redis/redis-2.conf');
    assert.throws(() => buildStack(t, compose, files), /redis-2 mounts \.\/redis\/redis-2\.conf, which was not rendered/);
  });

  it('refuses a stateful service that has no node to be pinned to', () => {
    const t = swarm('full');
    const { compose, files } = composeAndFiles(t);
    compose.volumes['exporter-data'] = { labels: {} };
    compose.services.exporter!.volumes = ['exporter-data:/data'];
    assert.throws(() => buildStack(t, compose, files), /exporter keeps data in a node-local volume/);
  });
});

describe('stack: the staged file of a rolling deploy (stageStack)', () => {
  const live = swarm('sentinel');
  const next = swarm('sentinel', { redis: { maxmemory: '200mb' }, replicas: 3 });
  const liveText = synthesize(live, FIXED_SECRETS).get(STACK_FILE)!;
  const nextText = synthesize(next, FIXED_SECRETS).get(STACK_FILE)!;
  const liveStack = parse(liveText) as StackFile;
  const nextStack = parse(nextText) as StackFile;
  const refs = (s: StackFile, service: string) => (s.services[service]!.configs ?? []).map((r) => (typeof r === 'string' ? r : r.source));

  it('before any step: every service as it runs, its changed configs kept by their live names (external)', () => {
    const staged = parse(stageStack(liveText, nextText, [])) as StackFile;
    assert.deepEqual(Object.keys(staged.services).sort(), Object.keys(liveStack.services).sort(), 'redis-4 is not added before its step');
    for (const r of redisNodes(live)) {
      const { configs: _c, ...rest } = staged.services[r.name]!;
      const { configs: _l, ...liveRest } = liveStack.services[r.name]!;
      assert.deepEqual(rest, liveRest, `${r.name}: the rest of its spec is the live one`);
      assert.ok(refs(staged, r.name).includes(`${r.name}.conf-live`), `${r.name} keeps its live redis.conf`);
      assert.deepEqual(staged.configs![`${r.name}.conf-live`], { name: liveStack.configs![`${r.name}.conf`]!.name, external: true });
      assert.notEqual(staged.configs![`${r.name}.conf`]!.name, liveStack.configs![`${r.name}.conf`]!.name, 'the new object is defined beside it');
    }
    // An object both files name alike stays referenced as it is.
    assert.ok(refs(staged, 'redis-1').includes('redis-start.sh'));
  });

  it('after a step: the updated service takes its new definition, the others stay; a new service comes with its step; a removed one goes', () => {
    const staged = parse(stageStack(liveText, nextText, ['redis-2', 'redis-4'], ['sentinel-3'])) as StackFile;
    assert.deepEqual(staged.services['redis-2'], nextStack.services['redis-2']);
    assert.deepEqual(staged.services['redis-4'], nextStack.services['redis-4']);
    assert.ok(refs(staged, 'redis-1').includes('redis-1.conf-live'));
    assert.equal(staged.services['sentinel-3'], undefined);
    assert.ok(staged.volumes!['redis-4-data'] !== undefined && staged.volumes!['redis-1-data'] !== undefined);
  });

  it('a rollout stopped half-way resumes from its staged file: only the services not yet updated change, each still on its live objects', () => {
    const halfWay = stageStack(liveText, nextText, ['redis-2']);
    const left = [...changedServices(liveText, nextText)].filter((x) => x !== 'redis-2').sort();
    assert.ok(left.includes('redis-1') && left.includes('redis-3'));
    assert.deepEqual([...changedServices(halfWay, nextText)].sort(), left, 'redis-2 is done, the others are not');
    const resumed = parse(stageStack(halfWay, nextText, ['redis-3'])) as StackFile;
    assert.deepEqual(resumed.services['redis-2'], nextStack.services['redis-2']);
    assert.deepEqual(resumed.services['redis-3'], nextStack.services['redis-3']);
    const kept = refs(resumed, 'redis-1').find((r) => r.startsWith('redis-1.conf-live'))!;
    assert.deepEqual(resumed.configs![kept], { name: liveStack.configs!['redis-1.conf']!.name, external: true }, 'redis-1 still on its live redis.conf');
  });

  it('with nothing changed, the staged file is the new one (no external object)', () => {
    const staged = parse(stageStack(liveText, liveText, [])) as StackFile;
    assert.deepEqual(staged.services, liveStack.services);
    assert.ok(!Object.values(staged.configs ?? {}).some((c) => (c as { external?: boolean }).external));
  });
});

describe('stack: which services a redeploy changes on swarm (changedServices)', () => {
  it('a redis.conf change is every Redis node; a Sentinel setting every Sentinel; nothing is nothing', () => {
    const text = (extra: Record<string, unknown>) => synthesize(swarm('sentinel', extra), FIXED_SECRETS).get(STACK_FILE)!;
    const base = text({});
    assert.deepEqual([...changedServices(base, base)], []);
    assert.deepEqual([...changedServices(base, text({ redis: { maxmemory: '200mb' } }))].sort(), ['redis-1', 'redis-2', 'redis-3']);
    assert.deepEqual([...changedServices(base, text({ sentinel: { downAfterMs: 4000 } }))].sort(), ['sentinel-1', 'sentinel-2', 'sentinel-3']);
    // A node added or removed is not "changed" (its step is an add or a remove).
    assert.deepEqual([...changedServices(base, text({ replicas: 3 }))].filter((s) => s === 'redis-4'), []);
  });
});

describe('stack: one service updated at a time (stackRollout)', () => {
  it('waits for a task that is not the one that ran before, even when the config-hash label is unchanged (a rotation)', async () => {
    const t = swarm('sentinel');
    const text = synthesize(t, FIXED_SECRETS).get(STACK_FILE)!;
    const runtime = new FakeRuntime();
    // As Swarm labels them: the service's config-hash label on its task.
    const labels = (service: string) => (parse(text) as StackFile).services[service]!.labels as Record<string, string>;
    runtime.containersOf.set(t.name, containersFor(t).map((c) => ({ ...c, labels: { ...c.labels, ...labels(c.service) } })));
    let swapAfter = -1;
    let polls = 0;
    // Swarm replaces the task a few polls after the staged deploy, with the same labels.
    runtime.onUp = () => {
      swapAfter = polls + 3;
    };
    const list = runtime.containers.bind(runtime);
    runtime.containers = async (project: string) => {
      polls++;
      if (swapAfter >= 0 && polls >= swapAfter) {
        runtime.containersOf.set(project, (await list(project)).map((c) => (c.service === 'redis-2' ? { ...c, id: 'redis-2-new-task' } : c)));
      }
      return list(project);
    };
    const written: string[] = [];
    const rollout = stackRollout(runtime, { name: t.name, dir: '/nowhere', file: '/nowhere/stack.yaml' }, text, text, {
      timeoutMs: 5000,
      files: { write: async (path) => void written.push(path), remove: async () => undefined },
    });
    await rollout.update('redis-2');
    assert.ok(polls >= swapAfter, `returned only once the new task ran (polls ${polls}, replaced at ${swapAfter})`);
    assert.deepEqual(written, ['/nowhere/.stack-rollout.yaml']);
  });
});
