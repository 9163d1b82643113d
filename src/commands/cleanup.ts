// `redis-ha cleanup`: removes exactly one deployment (or --all): its containers, network,
// volumes (unless --keep-data) and the files redis-ha wrote (unless --keep-files).
// Only resources carrying both the project label and redis-ha's own label are touched.
import { lines, type Io } from '../io.js';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { deploymentDir, hasDeployment, readDeployment } from '../files/deployment.js';
import { readManifest, removeDeploymentFiles } from '../files/writer.js';
import { LABEL_MANAGED } from '../labels.js';
import type { Runtime } from '../runtime/runtime.js';
import { SECRET_NAMES, secretPath } from '../synth/secrets.js';
import { TLS_DIR } from '../synth/tls.js';
import { printJson, style, symbols } from '../report/style.js';
import type { CommandContext } from './context.js';
import { locateDeployment } from './locate.js';

export interface CleanupOptions {
  name?: string;
  dir?: string;
  all?: boolean;
  keepData?: boolean;
  keepFiles?: boolean;
}

export interface CleanupResult {
  deployment: string;
  containers: string[];
  networks: string[];
  volumes: string[];
  keptVolumes: string[];
  files: string[];
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

export async function cleanup(options: CleanupOptions, ctx: Pick<CommandContext, 'runtime' | 'io'>): Promise<CleanupResult[]> {
  const { runtime, io } = ctx;
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
  const dir = await locateDeployment(options, runtime, io.cwd);
  // The name recorded in the rendered files wins; else the one asked for, else the directory's.
  const recorded = await readDeployment(dir).then((d) => d.topology.name).catch(() => undefined);
  const name = recorded ?? options.name ?? basename(dir);
  return [await cleanupOne(runtime, name, dir, options)];
}

export function printCleanup(results: CleanupResult[], json: boolean, io: Io): void {
  const { out, err } = lines(io);
  if (json) return printJson(io.stdout, results);
  if (!results.length) out(`${symbols.ok()} no redis-ha deployment found; nothing to remove`);
  for (const r of results) {
    const nothing = !r.containers.length && !r.networks.length && !r.volumes.length && !r.files.length;
    if (nothing && !r.keptVolumes.length) {
      out(`${symbols.ok()} ${style.bold(r.deployment)}: nothing left to remove`);
      continue;
    }
    out(`${symbols.ok()} ${style.bold(r.deployment)} removed:`);
    if (r.containers.length) out(`  containers ${r.containers.join(', ')}`);
    if (r.networks.length) out(`  networks   ${r.networks.join(', ')}`);
    if (r.volumes.length) out(`  volumes    ${r.volumes.join(', ')}`);
    if (r.keptVolumes.length) out(`  kept data  ${r.keptVolumes.join(', ')} (--keep-data)`);
    if (r.files.length) out(`  files      ${r.files.length} generated file(s)`);
  }
}
