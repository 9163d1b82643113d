// `redis-ha rotate-secrets`: new secrets without downtime (see src/operations/rotate-secrets.ts).
// Without --finish: new passwords added beside the old ones, every internal consumer moved to
// them, and what clients must change printed. With --finish: the old ones removed. On swarm,
// where secrets and configs are immutable objects, each phase ends in a rolling deploy of the
// files as written (one service at a time, a switchover before the master).
import { join } from 'node:path';
import type { Credentials } from '../credentials.js';
import { readCertificates } from '../files/certificates.js';
import { readDeployment } from '../files/deployment.js';
import { loadOrCreateSecrets, newSecret, writeDeployment, writeSecretFiles } from '../files/writer.js';
import { lines, type Io } from '../io.js';
import { probeHost } from '../model/nodes.js';
import { checkRunning, finish, rotate, type RotationOutcome } from '../operations/rotate-secrets.js';
import { planRotation } from '../operations/rotate-secrets-plan.js';
import { printJson, style, symbols } from '../report/style.js';
import { buildCompose } from '../synth/compose.js';
import { renderHaproxyConfig } from '../synth/configs.js';
import { currentSecret, oldSecretPath, type Rotations, secretPath, type SecretName, type Secrets } from '../synth/secrets.js';
import { synthesize, TOPOLOGY_FILE } from '../synth/synthesize.js';
import { availableSwarm, type CommandContext } from './context.js';
import { deploy } from './deploy.js';
import { locateDeployment } from './locate.js';
import { engineFeatures } from './render.js';

export interface RotateSecretsOptions {
  name?: string;
  dir?: string;
  user?: string[];
  finish?: boolean;
  /** Swarm: `NODE=DOCKER_HOST` per node (default: those recorded at deploy). */
  nodeHost?: string[];
  /** Swarm: seconds each rolling deploy may wait for health. */
  timeout?: number;
}

export interface RotateSecretsResult extends RotationOutcome {
  deployment: string;
  dir: string;
  finished: boolean;
  /** Who outside the deployment must change, and where the new secret is. */
  clients: { user: SecretName; file: string; until: string }[];
}

const CLIENT_USERS: { user: SecretName; who: string }[] = [
  { user: 'app', who: 'client applications' },
  { user: 'admin', who: 'operators and scripts logging in as admin' },
  { user: 'haproxy-stats', who: 'whoever reads HAProxy /stats or /metrics (Prometheus), Prometheus or Alertmanager' },
];

export async function rotateSecrets(options: RotateSecretsOptions, ctx: Pick<CommandContext, 'runtime' | 'runtimeFor' | 'signal' | 'io'>): Promise<RotateSecretsResult> {
  const { signal, io } = ctx;
  const files = await readDeployment(await locateDeployment(options, ctx.runtime, io.cwd));
  const t = files.topology;
  const { secrets, rotations } = await loadOrCreateSecrets(files.dir);
  // With TLS: the certificates as they are (none issued here: a rotation changes passwords only).
  const tlsFiles = await readCertificates(files.dir, t);
  const plan = planRotation({ topology: t, users: options.user, finish: Boolean(options.finish), inProgress: rotations });
  // Swarm: every node ready and active (a rollout moves tasks), each service at its node's address.
  const swarm = t.target === 'swarm' ? await availableSwarm(ctx, files.dir, t, options.nodeHost, 'rotate-secrets') : undefined;
  const runtime = swarm?.runtime ?? ctx.runtime;
  if (!swarm) await runtime.checkEngine();
  // Rendered as deploy did: for what this engine takes.
  const features = await engineFeatures(runtime);
  signal.throwIfAborted();
  const compose = buildCompose(t, { redisConfigs: new Map(), sentinelConfigs: new Map(), scripts: '' });
  const mounts = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, s.secrets ?? []]));
  // Before anything is written: a stopped service would miss the change.
  checkRunning(t, await runtime.containers(t.name), mounts);

  const current = (r: Rotations): Secrets =>
    Object.fromEntries(Object.entries(secrets).map(([n, v]) => [n, r[n as SecretName] ? currentSecret(r[n as SecretName]!) : v])) as Secrets;
  const writeFiles = async (r: Rotations) => {
    const rendered = synthesize(t, current(r), r, tlsFiles, features);
    // Swarm: the secret files only; the rollout's render writes the rest (the stack file must
    // say what runs until then).
    if (swarm) return writeSecretFiles(files.dir, rendered);
    // force: the directory is this deployment's own (read above); files beside it stay untouched.
    await writeDeployment(files.dir, rendered, { force: true });
  };
  const rollout = async () => {
    const r = await deploy(
      { file: join(files.dir, TOPOLOGY_FILE), out: files.dir, strategy: 'rolling', nodeHost: options.nodeHost, timeout: options.timeout, progress: false },
      ctx,
    );
    return (r.rollout?.steps ?? []).map((s) => `rolling deploy: ${s.step} (${s.ms} ms)`);
  };
  const state: Rotations = { ...rotations };
  for (const u of plan.begin) state[u] = { phase: 'added', old: secrets[u], new: newSecret() };
  if (plan.begin.length) {
    // The new secrets are kept (secrets/<user>.next) and in the configs' hashes before any
    // node hears of them: an interrupted run finds them again.
    await writeFiles(state);
    lines(io).err(style.dim(`begin     new secrets for ${plan.begin.join(', ')} in secrets/<user>.next; the configs accept both`));
  }
  // Re-read: the admin login redis-ha uses is what secrets/admin holds now.
  const admin: Credentials = { ...files.admin, username: 'admin', password: current(state).admin };
  const context = {
    topology: t,
    auth: admin,
    host: probeHost(t),
    ...(swarm ? { hostOf: swarm.hostOf, rollout } : {}),
    runtime,
    signal,
    onStep: (step: string, detail: string) => lines(io).err(style.dim(`${step.padEnd(9)} ${detail}`)),
    writeFiles,
    mounts,
    haproxyConfig: t.haproxy.enabled ? renderHaproxyConfig(t) : undefined,
    secrets: current(state),
  };
  const outcome = options.finish ? await finish(context, state, plan.users) : await rotate(context, state, plan.users);
  const clients = CLIENT_USERS.filter((c) => plan.users.includes(c.user)).map((c) => ({
    user: c.user,
    file: join(files.dir, secretPath(c.user)),
    until: options.finish ? 'the old one is refused now' : c.user === 'haproxy-stats' ? `the old one stopped working when HAProxy ${swarm ? 'was re-created' : 'reloaded'}` : `the old one (${oldSecretPath(c.user)}) works until \`rotate-secrets --finish\``,
  }));
  return { deployment: t.name, dir: files.dir, finished: Boolean(options.finish), clients, ...outcome };
}

export function printRotateSecrets(r: RotateSecretsResult, json: boolean, io: Io): void {
  if (json) return printJson(io.stdout, r);
  const { out } = lines(io);
  const secs = (r.totalMs / 1000).toFixed(1);
  if (r.finished) {
    out(`${symbols.ok()} ${style.bold(r.deployment)}: rotation of ${r.users.join(', ')} finished in ${secs} s; the old passwords are refused on every node and Sentinel`);
  } else {
    out(`${symbols.ok()} ${style.bold(r.deployment)}: ${r.users.join(', ')} rotated in ${secs} s; every internal consumer uses the new secret, the old one is still accepted`);
  }
  for (const a of r.actions) out(style.dim(`  ${a}`));
  if (!r.finished) {
    for (const c of r.clients) {
      const who = CLIENT_USERS.find((x) => x.user === c.user)!.who;
      out(`  ${symbols.warn()} ${who} must change to the new password of ${style.bold(c.user)}: ${c.file} (${c.until})`);
    }
    out(`  then: redis-ha rotate-secrets --name ${r.deployment} --finish`);
  }
}
