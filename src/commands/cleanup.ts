// `redis-ha cleanup`: removes exactly one deployment (or --all): its containers, network,
// volumes (unless --keep-data) and the files redis-ha wrote (unless --keep-files).
// Only resources carrying both the project label and redis-ha's own label are touched.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { deploymentDir, readDeployment } from '../files/deployment.js';
import { removeDeploymentFiles } from '../files/writer.js';
import { checkEngine, LABEL_PROJECT, managedProjects, projectContainers, resourcesByLabel } from '../runtime/docker.js';
import { run, runChecked } from '../runtime/exec.js';
import { LABEL_MANAGED } from '../synth/compose.js';
import { SECRET_NAMES, secretPath } from '../synth/secrets.js';
import { printJson, style, symbols } from '../report/style.js';

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

async function cleanupOne(name: string, dir: string, options: CleanupOptions): Promise<CleanupResult> {
  const labels = [`${LABEL_PROJECT}=${name}`, LABEL_MANAGED];
  const containers = (await projectContainers(name)).filter((c) => c.labels[LABEL_MANAGED] === 'true');
  if (containers.length) {
    const ids = containers.map((c) => c.id);
    // Graceful stop first: Redis flushes its AOF / writes its RDB on SIGTERM (kept data stays whole).
    await run('docker', ['stop', '--time', '10', ...ids]);
    await runChecked('docker', ['rm', '--force', '--volumes', ...ids], `removing containers of ${name}`);
  }
  const networks = await resourcesByLabel('network', ...labels);
  for (const n of networks) await runChecked('docker', ['network', 'rm', n], `removing network ${n}`);
  const volumes = await resourcesByLabel('volume', ...labels);
  if (!options.keepData) {
    for (const v of volumes) await runChecked('docker', ['volume', 'rm', v], `removing volume ${v}`);
  }
  // Kept data keeps its secrets (secrets/<user>): the next deploy must open what it kept.
  const files =
    options.keepFiles || !existsSync(dir) ? [] : await removeDeploymentFiles(dir, { keep: options.keepData ? SECRET_NAMES.map(secretPath) : [] });
  return {
    deployment: name,
    containers: containers.map((c) => c.service),
    networks,
    volumes: options.keepData ? [] : volumes,
    keptVolumes: options.keepData ? volumes : [],
    files,
  };
}

export async function cleanup(options: CleanupOptions): Promise<CleanupResult[]> {
  await checkEngine();
  if (options.all) {
    const names = await managedProjects();
    return Promise.all(names.map((name) => cleanupOne(name, deploymentDir({ name }), options)));
  }
  const dir = deploymentDir(options);
  // The name recorded in the rendered files wins; else the one asked for, else the directory's.
  const recorded = await readDeployment(dir).then((d) => d.topology.name).catch(() => undefined);
  const name = recorded ?? options.name ?? basename(dir);
  return [await cleanupOne(name, dir, options)];
}

export function printCleanup(results: CleanupResult[], json: boolean): void {
  if (json) return printJson(results);
  if (!results.length) console.log(`${symbols.ok()} no redis-ha deployment found; nothing to remove`);
  for (const r of results) {
    const nothing = !r.containers.length && !r.networks.length && !r.volumes.length && !r.files.length;
    if (nothing && !r.keptVolumes.length) {
      console.log(`${symbols.ok()} ${style.bold(r.deployment)}: nothing left to remove`);
      continue;
    }
    console.log(`${symbols.ok()} ${style.bold(r.deployment)} removed:`);
    if (r.containers.length) console.log(`  containers ${r.containers.join(', ')}`);
    if (r.networks.length) console.log(`  networks   ${r.networks.join(', ')}`);
    if (r.volumes.length) console.log(`  volumes    ${r.volumes.join(', ')}`);
    if (r.keptVolumes.length) console.log(`  kept data  ${r.keptVolumes.join(', ')} (--keep-data)`);
    if (r.files.length) console.log(`  files      ${r.files.length} generated file(s)`);
  }
}
