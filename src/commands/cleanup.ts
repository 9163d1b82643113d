// `redis-ha cleanup`: removes exactly one deployment (or --all): its containers, network,
// volumes (unless --keep-data) and the files redis-ha wrote (unless --keep-files).
// Only resources carrying both the project label and redis-ha's own label are touched.
import { lines, type Io } from '../io.js';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TargetName } from '../model/schema.js';
import { removeNodeHosts } from '../files/node-hosts.js';
import { deploymentDir, hasDeployment, readDeployment } from '../files/deployment.js';
import { readManifest, removeDeploymentFiles } from '../files/writer.js';
import { LABEL_MANAGED } from '../labels.js';
import type { Runtime } from '../runtime/runtime.js';
import { STACK_FILE } from '../synth/synthesize.js';
import { NODE_HOSTS_FILE } from '../paths.js';
import { SECRET_NAMES, secretPath } from '../synth/secrets.js';
import { TLS_DIR } from '../synth/tls.js';
import { printJson, style, symbols } from '../report/style.js';
import { swarmRuntimeFor, type SwarmEngine, type CommandContext } from './context.js';
import { locateDeployment } from './locate.js';

export interface CleanupOptions {
  name?: string;
  dir?: string;
  all?: boolean;
  keepData?: boolean;
  keepFiles?: boolean;
  /** compose | swarm; default: the deployment's own (topology.json), else compose. */
  target?: TargetName;
  /** Swarm: `NODE=DOCKER_HOST` per node (default: those recorded at deploy). */
  nodeHost?: string[];
}

export interface CleanupResult {
  deployment: string;
  containers: string[];
  networks: string[];
  volumes: string[];
  keptVolumes: string[];
  files: string[];
  /** Swarm: the stack's configs and secrets, and redis-ha's placement labels (`node: key`). */
  configs?: string[];
  secrets?: string[];
  nodeLabels?: string[];
}

async function cleanupOne(runtime: Runtime, name: string, dir: string, options: CleanupOptions): Promise<CleanupResult> {
  // Only what carries redis-ha's own label besides the project's: never a container someone else named alike.
  const containers = (await runtime.containers(name)).filter((c) => c.labels[LABEL_MANAGED] === 'true');
  await runtime.removeContainers(
    containers.map((c) => c.id),
    { graceSeconds: 10 },
  );
  const networks = await runtime.networks(name);
  for (const n of networks) await runtime.removeNetwork(n);
  const volumes = await runtime.volumes(name);
  if (!options.keepData) {
    for (const v of volumes) await runtime.removeVolume(v);
  }
  // Kept data keeps its secrets (secrets/<user>): the next deploy must open what it kept. And
  // its TLS files: clients that were handed ca.crt keep trusting the next deploy.
  const keep = async () => [
    ...SECRET_NAMES.map(secretPath),
    ...((await readManifest(dir)) ?? []).filter((f) => f.startsWith(`${TLS_DIR}/`)),
  ];
  const files =
    options.keepFiles || !existsSync(dir) ? [] : await removeDeploymentFiles(dir, { keep: options.keepData ? await keep() : [] });
  return {
    deployment: name,
    containers: containers.map((c) => c.service),
    networks,
    volumes: options.keepData ? [] : volumes,
    keptVolumes: options.keepData ? volumes : [],
    files,
  };
}

/**
 * A stack: `docker stack rm` (its services, network, configs, secrets), waiting until its
 * containers are gone on every node; then, unless --keep-data, its volumes on every node and its
 * placement labels (they pin services to where the data was). Only what carries the stack's
 * namespace label and (volumes, networks) redis-ha's own; never another stack.
 */
async function cleanupStack({ runtime, swarm }: SwarmEngine, name: string, dir: string, options: CleanupOptions): Promise<CleanupResult> {
  const containers = (await swarm.allContainers(name)).filter((c) => c.labels[LABEL_MANAGED] === 'true');
  const [networks, configs, secrets, volumes, nodeLabels] = await Promise.all([
    runtime.networks(name),
    swarm.stackObjects('config', name),
    swarm.stackObjects('secret', name),
    runtime.volumes(name),
    swarm.nodeLabels(name),
  ]);
  await runtime.down({ name, dir, file: join(dir, STACK_FILE) }, { volumes: !options.keepData });
  let files: string[] = [];
  if (!options.keepFiles && existsSync(dir)) {
    // Kept data keeps the way to its nodes (nodes.json) and its secrets.
    if (!options.keepData && (await removeNodeHosts(dir))) files.push(NODE_HOSTS_FILE);
    files = [...files, ...(await removeDeploymentFiles(dir, { keep: options.keepData ? SECRET_NAMES.map(secretPath) : [] }))];
  }
  return {
    deployment: name,
    containers: [...new Set(containers.map((c) => `${c.service}@${c.node}`))],
    networks,
    volumes: options.keepData ? [] : volumes,
    keptVolumes: options.keepData ? volumes : [],
    files,
    configs,
    secrets,
    nodeLabels: options.keepData ? [] : nodeLabels,
  };
}

export async function cleanup(options: CleanupOptions, ctx: Pick<CommandContext, 'runtime' | 'io' | 'runtimeFor'>): Promise<CleanupResult[]> {
  const { io } = ctx;
  const runtime = ctx.runtime;
  const located = options.all ? undefined : await locateDeployment(options, runtime, io.cwd);
  const topology = located ? await readDeployment(located).then((d) => d.topology).catch(() => undefined) : undefined;
  if ((options.target ?? topology?.target) === 'swarm') {
    const swarm = await swarmRuntimeFor(ctx, located ?? io.cwd, options.nodeHost);
    await swarm.runtime.checkEngine();
    await swarm.runtime.checkTool();
    if (options.all) {
      const projects = await swarm.runtime.projects();
      const results: CleanupResult[] = [];
      for (const p of projects) results.push(await cleanupStack(swarm, p.name, deploymentDir({ name: p.name }, io.cwd), options));
      return results;
    }
    return [await cleanupStack(swarm, topology?.name ?? options.name ?? basename(located!), located!, options)];
  }
  await runtime.checkEngine();
  if (options.all) {
    const projects = await runtime.projects();
    return Promise.all(
      projects.map((p) => {
        const dir = p.workingDir && hasDeployment(p.workingDir) ? p.workingDir : deploymentDir({ name: p.name }, io.cwd);
        return cleanupOne(runtime, p.name, dir, options);
      }),
    );
  }
  const dir = located!;
  // The name recorded in the rendered files wins; else the one asked for, else the directory's.
  const name = topology?.name ?? options.name ?? basename(dir);
  return [await cleanupOne(runtime, name, dir, options)];
}

export function printCleanup(results: CleanupResult[], json: boolean, io: Io): void {
  const { out } = lines(io);
  if (json) return printJson(io.stdout, results);
  if (!results.length) out(`${symbols.ok()} no redis-ha deployment found; nothing to remove`);
  for (const r of results) {
    const nothing = !r.containers.length && !r.networks.length && !r.volumes.length && !r.files.length && !r.configs?.length && !r.secrets?.length && !r.nodeLabels?.length;
    if (nothing && !r.keptVolumes.length) {
      out(`${symbols.ok()} ${style.bold(r.deployment)}: nothing left to remove`);
      continue;
    }
    out(`${symbols.ok()} ${style.bold(r.deployment)} removed:`);
    if (r.containers.length) out(`  containers ${r.containers.join(', ')}`);
    if (r.networks.length) out(`  networks   ${r.networks.join(', ')}`);
    if (r.volumes.length) out(`  volumes    ${r.volumes.join(', ')}`);
    if (r.keptVolumes.length) out(`  kept data  ${r.keptVolumes.join(', ')} (--keep-data)`);
    if (r.configs?.length) out(`  configs    ${r.configs.join(', ')}`);
    if (r.secrets?.length) out(`  secrets    ${r.secrets.join(', ')}`);
    if (r.nodeLabels?.length) out(`  labels     ${r.nodeLabels.join(', ')}`);
    if (r.files.length) out(`  files      ${r.files.length} generated file(s)`);
  }
}
