// Rotating secrets on a live deployment without downtime. Each ACL user holds two passwords
// during the change:
//   1. add:      ACL SETUSER <user> >new on every node and Sentinel where the user exists (the
//                rendered configs already carry both hashes, so a node that restarts meanwhile
//                accepts both too). No CONFIG REWRITE: it fsyncs on the node's main thread
//                (a write stall on a busy disk), and redis-start.sh rebuilds the live config
//                from the rendered file and /run/secrets at every start anyway;
//   2. switch:   secrets/<user> gets the new password (in place: the containers' bind mounts see
//                it at once), the old one is kept in secrets/<user>.old;
//   3. consumers: masterauth (CONFIG SET), Sentinel auth-pass / sentinel-pass, HAProxy (reload),
//                the exporter (restart); healthchecks read the file at each run;
//   4. verify:   every consumer holds the new password (checked, not assumed);
// and with --finish, after the same verification: ACL SETUSER <user> !<old hash> everywhere,
// then the configs lose the old hash and secrets/<user>.old goes; finally the old password
// must be refused and the new one accepted on every node and Sentinel.
// On swarm the secrets and configs are immutable objects: step 2 writes only the secret files,
// and a rolling deploy (the `rollout` of the context: one service at a time, a switchover before
// the master) re-creates every service that mounts a changed one, with the configs carrying both
// hashes; step 3 then finds nothing stale. --finish rolls out the configs with the new hash only.
// Every step checks before it acts, so an interrupted run (Ctrl-C) is simply run again.
// Passwords travel only inside Redis commands over TCP from this process (ioredis), never on
// a command line or in a log.
import { createHash } from 'node:crypto';
import { FailedError } from '../errors.js';
import { redisNodes, sentinelNodes, type NodeRef } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { type Credentials, pairsToRecord, withConnection } from '../probes/connect.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { aclHash, currentSecret, type Rotations, type SecretName, type Secrets } from '../synth/secrets.js';
import { SECRET_USES } from './rotate-secrets-plan.js';

export type RotationStep = 'check' | 'add' | 'switch' | 'rollout' | 'consumers' | 'verify' | 'remove' | 'files' | 'prove';

export interface RotationContext {
  topology: Topology;
  /** redis-ha's own login (admin) as secrets/admin holds it now. */
  auth: Credentials;
  host: string;
  /** Swarm: the address of the node that runs a service's task (else `host`). */
  hostOf?: (service: string) => string;
  runtime: Runtime;
  signal?: AbortSignal;
  onStep?: (step: RotationStep, detail: string) => void;
  /** Writes the deployment's files for this rotation state (configs, secrets/<user>[.next|.old]). */
  writeFiles: (rotations: Rotations) => Promise<void>;
  /** Every compose service and the secrets it mounts (`exporter-passwords` included). */
  mounts: Record<string, string[]>;
  /** haproxy.cfg as rendered (with @@secret@@ placeholders), when there is an HAProxy. */
  haproxyConfig?: string;
  /** What secrets/<name> holds for the users not being rotated. */
  secrets: Secrets;
  /**
   * Swarm: re-renders the deployment from the files as written now and rolls it out one service
   * at a time (deploy's rolling path); returns what it did. Compose moves consumers live instead.
   */
  rollout?: () => Promise<string[]>;
}

const hostFor = (c: RotationContext, s: Server) => c.hostOf?.(s.ref.name) ?? c.host;

export interface RotationOutcome {
  users: SecretName[];
  /** What this run changed, in order (empty when everything was already done). */
  actions: string[];
  /** When each step began, in ms from the start. */
  timeline: { step: RotationStep; atMs: number }[];
  totalMs: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const CONF_DIR = '/usr/local/etc/redis-ha';

interface Server {
  ref: NodeRef;
  kind: 'redis' | 'sentinel';
}

function servers(t: Topology, user: SecretName): Server[] {
  const uses = SECRET_USES[user];
  return [
    ...(uses.redis ? redisNodes(t).map((ref) => ({ ref, kind: 'redis' as const })) : []),
    ...(uses.sentinel ? sentinelNodes(t).map((ref) => ({ ref, kind: 'sentinel' as const })) : []),
  ];
}

function on<T>(c: RotationContext, s: Server, fn: Parameters<typeof withConnection<T>>[2]): Promise<T> {
  return withConnection({ host: hostFor(c, s), port: s.ref.hostPort }, c.auth, fn, 3000).catch((err: Error) => {
    throw new FailedError(`${s.ref.name}: ${err.message}`, `check it with \`redis-ha status --name ${c.topology.name}\`; then run rotate-secrets again (it resumes)`, { cause: err });
  });
}

async function passwordHashes(c: RotationContext, s: Server, user: SecretName): Promise<string[]> {
  return on(c, s, async (r) => {
    const reply = pairsToRecordRaw(await r.call('ACL', 'GETUSER', user));
    return (reply.passwords as string[] | undefined) ?? [];
  });
}

/** ACL GETUSER's flat reply, keeping array values (pairsToRecord stringifies them). */
function pairsToRecordRaw(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

function abortIfAsked(c: RotationContext): void {
  if (c.signal?.aborted) throw c.signal.reason ?? new Error('aborted');
}

/** Every container the rotation acts on must run: a stopped one would keep the old secret. */
export function checkRunning(t: Topology, containers: ContainerInfo[], mounts: Record<string, string[]>): void {
  const wanted = Object.keys(mounts);
  const notRunning = wanted.filter((s) => !containers.some((x) => x.service === s && x.state === 'running'));
  if (notRunning.length) {
    throw new FailedError(
      `rotate-secrets needs every service of ${t.name} running; not running: ${notRunning.join(', ')}`,
      `start them (\`redis-ha deploy\` with the same options, or \`redis-ha status --name ${t.name}\` to see why), then run rotate-secrets again`,
    );
  }
}

/** Step 1: the new password is accepted everywhere the user exists (the old one still is). */
async function addPasswords(c: RotationContext, rotations: Rotations, users: SecretName[], actions: string[]): Promise<void> {
  for (const user of users) {
    const r = rotations[user]!;
    await Promise.all(
      servers(c.topology, user).map(async (s) => {
        const have = await passwordHashes(c, s, user);
        for (const pw of [r.old, r.new]) {
          if (have.includes(aclHash(pw))) continue;
          await on(c, s, (x) => x.call('ACL', 'SETUSER', user, `>${pw}`));
          actions.push(`${s.ref.name}: ACL SETUSER ${user} >${pw === r.new ? 'new' : 'old'}`);
        }
      }),
    );
    abortIfAsked(c);
  }
}

/** A consumer of a secret: what it holds now (a problem, or undefined) and how to move it. */
interface Consumer {
  name: string;
  stale: () => Promise<string | undefined>;
  move?: () => Promise<string>;
}

function consumers(c: RotationContext, rotations: Rotations, users: SecretName[], containers: ContainerInfo[]): Consumer[] {
  const t = c.topology;
  const list: Consumer[] = [];
  const rotating = (u: SecretName) => users.includes(u) && rotations[u]?.phase === 'switched';
  const current = (name: string) => {
    const r = rotations[name as SecretName];
    return r ? currentSecret(r) : c.secrets[name as SecretName];
  };
  const container = (service: string) => containers.find((x) => x.service === service && x.state === 'running');
  const exec = async (service: string, argv: string[]) => {
    const id = container(service)?.id;
    if (!id) throw new FailedError(`${service} is not running`, 'start it, then run rotate-secrets again');
    return c.runtime.exec(id, argv, { timeoutMs: 10_000 });
  };

  if (rotating('replica')) {
    const pw = rotations.replica!.new;
    for (const ref of redisNodes(t)) {
      const s: Server = { ref, kind: 'redis' };
      list.push({
        name: `${ref.name} masterauth`,
        stale: async () => ((await on(c, s, (x) => x.call('CONFIG', 'GET', 'masterauth')) as string[])[1] === pw ? undefined : 'masterauth is the old password'),
        move: async () => {
          await on(c, s, (x) => x.call('CONFIG', 'SET', 'masterauth', pw));
          return `${ref.name}: CONFIG SET masterauth`;
        },
      });
    }
  }
  if (rotating('sentinel')) {
    const pw = rotations.sentinel!.new;
    for (const ref of sentinelNodes(t)) {
      const s: Server = { ref, kind: 'sentinel' };
      list.push({
        name: `${ref.name} auth-pass / sentinel-pass`,
        stale: async () => {
          const config = pairsToRecord(await on(c, s, (x) => x.call('SENTINEL', 'CONFIG', 'GET', 'sentinel-pass')));
          if (config['sentinel-pass'] !== pw) return 'sentinel-pass is the old password';
          // auth-pass is not readable by command: its hash, from the config Sentinel flushes
          // on every SENTINEL SET (the password itself never leaves the container).
          const r = await exec(ref.name, ['/bin/sh', '-c', `sed -n 's/^sentinel auth-pass ${t.sentinel.masterName} //p' /data/sentinel.conf | tr -d '"' | sha256sum`]);
          return r.stdout.split(/\s/)[0] === sha256(`${pw}\n`) ? undefined : 'auth-pass is the old password';
        },
        move: async () => {
          await on(c, s, async (x) => {
            // Sentinel drops its links to the master and replicas and reconnects with it.
            await x.call('SENTINEL', 'SET', t.sentinel.masterName, 'auth-pass', pw);
            await x.call('SENTINEL', 'CONFIG', 'SET', 'sentinel-pass', pw);
          });
          return `${ref.name}: SENTINEL SET auth-pass, SENTINEL CONFIG SET sentinel-pass`;
        },
      });
    }
  }
  // The secret files as each container sees them (healthchecks and start scripts read them).
  for (const [service, names] of Object.entries(c.mounts)) {
    for (const name of names.filter((n) => n !== 'exporter-passwords' && rotating(n as SecretName))) {
      list.push({
        name: `${service} /run/secrets/${name}`,
        stale: async () => {
          const r = await exec(service, ['sha256sum', `/run/secrets/${name}`]);
          return r.stdout.split(/\s/)[0] === sha256(`${current(name)}\n`) ? undefined : `/run/secrets/${name} still holds the old secret (its mount is not secrets/${name} as written now)`;
        },
        // Nothing to do from here: only re-creating the container mounts the file again.
      });
    }
  }
  if (t.haproxy.enabled && c.haproxyConfig && (rotating('health') || rotating('haproxy-stats'))) {
    const expected = sha256(c.haproxyConfig.replace(/@@([a-z-]+)@@/g, (_, n: string) => current(n)));
    list.push({
      name: 'haproxy checks and stats login',
      stale: async () => {
        const r = await exec('haproxy', ['sha256sum', '/tmp/haproxy.cfg']);
        return r.stdout.split(/\s/)[0] === expected ? undefined : 'runs with the old passwords';
      },
      move: async () => {
        const r = await exec('haproxy', ['/bin/sh', `${CONF_DIR}/scripts/haproxy-start.sh`, 'reload']);
        if (r.exitCode !== 0) throw new FailedError(`haproxy: the reload failed: ${(r.stderr || r.stdout).trim()}`, 'see `docker logs` of the haproxy container; run rotate-secrets again once it runs');
        return 'haproxy: reloaded (open connections kept)';
      },
    });
  }
  if (t.exporter.enabled && rotating('exporter')) {
    const since = rotations.exporter!.switchedAt ?? Date.now();
    list.push({
      name: 'exporter password file',
      // It reads --redis.password-file once, at start: it must have started after the switch.
      stale: async () => {
        const started = Date.parse(container('exporter')?.startedAt ?? '');
        return started >= since ? undefined : 'started before the switch: it holds the old password';
      },
      move: async () => {
        await c.runtime.containerAction('restart', container('exporter')!.id, { graceSeconds: 2 });
        const [after] = await c.runtime.inspect([container('exporter')!.id]);
        if (after) containers.splice(containers.indexOf(container('exporter')!), 1, after);
        return 'exporter: restarted (reads its password file at start)';
      },
    });
  }
  return list;
}

async function staleConsumers(list: Consumer[]): Promise<{ consumer: Consumer; problem: string }[]> {
  // Two at a time: most checks are a `docker exec`; a dozen at once is a burst of processes
  // on a small machine that also runs the deployment.
  const problems: (string | undefined)[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < list.length; i = next++) problems[i] = await list[i]!.stale();
  };
  await Promise.all([worker(), worker()]);
  return list.flatMap((consumer, i) => (problems[i] ? [{ consumer, problem: problems[i]! }] : []));
}

const describe = (stale: { consumer: Consumer; problem: string }[]) => stale.map((s) => `${s.consumer.name}: ${s.problem}`).join('; ');

/** rotate-secrets without --finish: add, switch, move the consumers, verify. */
export async function rotate(c: RotationContext, rotations: Rotations, users: SecretName[]): Promise<RotationOutcome> {
  const started = Date.now();
  const actions: string[] = [];
  const timeline: RotationOutcome['timeline'] = [];
  const step = (s: RotationStep, d: string) => {
    timeline.push({ step: s, atMs: Date.now() - started });
    c.onStep?.(s, d);
  };
  let containers = await c.runtime.containers(c.topology.name);
  checkRunning(c.topology, containers, c.mounts);

  step('add', `the new password of ${users.join(', ')} on every node and Sentinel`);
  await addPasswords(c, rotations, users, actions);
  abortIfAsked(c);

  const toSwitch = users.filter((u) => rotations[u]!.phase === 'added');
  if (toSwitch.length) {
    step('switch', `secrets/<user> <- new for ${toSwitch.join(', ')} (old kept in secrets/<user>.old)`);
    for (const u of toSwitch) rotations[u] = { ...rotations[u]!, phase: 'switched', switchedAt: Date.now() };
    await c.writeFiles(rotations);
    actions.push(`secrets: ${toSwitch.join(', ')} switched to the new password`);
  }
  abortIfAsked(c);
  if (c.rollout) {
    step('rollout', 'every service that mounts a changed secret, one at a time (a switchover before the master)');
    actions.push(...(await c.rollout()));
    containers = await c.runtime.containers(c.topology.name);
    abortIfAsked(c);
  }

  const list = consumers(c, rotations, users, containers);
  step('consumers', `${list.length} consumer(s) to check`);
  for (const { consumer } of await staleConsumers(list)) {
    if (!consumer.move) continue;
    actions.push(await consumer.move());
    abortIfAsked(c);
  }

  step('verify', 'every consumer holds the new password');
  const stale = await staleConsumers(list);
  if (stale.length) {
    throw new FailedError(`still on the old secret: ${describe(stale)}`, 'run rotate-secrets again (it resumes); a container whose /run/secrets file is stale must be re-created (`redis-ha deploy`)');
  }
  return { users, actions, timeline, totalMs: Date.now() - started };
}

/** rotate-secrets --finish: verify, remove the old passwords live, then from the files; prove it. */
export async function finish(c: RotationContext, rotations: Rotations, users: SecretName[]): Promise<RotationOutcome> {
  const started = Date.now();
  const actions: string[] = [];
  const timeline: RotationOutcome['timeline'] = [];
  const step = (s: RotationStep, d: string) => {
    timeline.push({ step: s, atMs: Date.now() - started });
    c.onStep?.(s, d);
  };
  const containers = await c.runtime.containers(c.topology.name);
  checkRunning(c.topology, containers, c.mounts);

  step('verify', 'every consumer holds the new password');
  const missing: string[] = [];
  for (const u of users) {
    for (const s of servers(c.topology, u)) {
      if (!(await passwordHashes(c, s, u)).includes(aclHash(rotations[u]!.new))) missing.push(`${s.ref.name} (${u})`);
    }
  }
  const stale = await staleConsumers(consumers(c, rotations, users, containers));
  if (missing.length || stale.length) {
    const what = [...(missing.length ? [`the new password is not accepted on ${missing.join(', ')}`] : []), ...(stale.length ? [describe(stale)] : [])];
    throw new FailedError(`refusing to finish: ${what.join('; ')}`, 'run `redis-ha rotate-secrets` (without --finish) to move them, then --finish again; nothing was removed');
  }
  abortIfAsked(c);

  step('remove', `the old password of ${users.join(', ')} on every node and Sentinel`);
  for (const u of users) {
    const old = aclHash(rotations[u]!.old);
    for (const s of servers(c.topology, u)) {
      if (!(await passwordHashes(c, s, u)).includes(old)) continue;
      // By its hash: the old password itself is not sent again.
      await on(c, s, (x) => x.call('ACL', 'SETUSER', u, `!${old}`));
      actions.push(`${s.ref.name}: ACL SETUSER ${u} !<old>`);
    }
  }
  // Only now the files: interrupted before this, --finish is simply run again.
  step('files', 'configs with the new hash only; secrets/<user>.old removed');
  const left: Rotations = { ...rotations };
  for (const u of users) delete left[u];
  await c.writeFiles(left);
  if (c.rollout) {
    step('rollout', 'the configs with the new hash only, one service at a time');
    actions.push(...(await c.rollout()));
  }

  step('prove', 'the old passwords are refused and the new ones accepted');
  const wrong: string[] = [];
  for (const u of users) {
    for (const s of servers(c.topology, u)) {
      // With TLS the admin login's CA is kept: the proof is about the password, not the handshake.
      const login = (password: string) =>
        withConnection({ host: hostFor(c, s), port: s.ref.hostPort }, { ...c.auth, username: u, password }, (x) => x.ping(), 3000).then(
          () => true,
          () => false,
        );
      if (await login(rotations[u]!.old)) wrong.push(`${s.ref.name} still accepts the old password of ${u}`);
      if (!(await login(rotations[u]!.new))) wrong.push(`${s.ref.name} refuses the new password of ${u}`);
    }
  }
  if (wrong.length) throw new FailedError(wrong.join('; '), 'run `redis-ha rotate-secrets --finish` again');
  return { users, actions, timeline, totalMs: Date.now() - started };
}
