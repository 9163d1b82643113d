// Copying images from the host engine into every node's engine (the lab has no registry):
// one `docker save` of all of them, then `docker load` into each node in parallel.
import { rm } from 'node:fs/promises';
import { EnvironmentError, FailedError } from '../errors.js';
import { run, runChecked } from './exec.js';
import { nodeDocker } from './engine.js';
import { LAB_DATA_ROOT, type LabNodePlan } from './plan.js';

export const DEFAULT_IMAGE_FILTER = 'redis-ha-local/*';
const ARCHIVE = `${LAB_DATA_ROOT}/images.tar`;

/** The host engine's images matching redis-ha-local/* (what `lab up` copies by default). */
export async function defaultImages(): Promise<string[]> {
  const r = await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', DEFAULT_IMAGE_FILTER]);
  if (r.exitCode !== 0) throw new EnvironmentError(`listing the host engine's images failed: ${r.stderr.trim()}`, 'check that `docker images` works (the images are copied from the host engine)');
  return r.stdout.split('\n').map((s) => s.trim()).filter((s) => s && !s.endsWith(':<none>')).sort();
}

export async function checkImagesPresent(images: string[]): Promise<void> {
  const missing: string[] = [];
  for (const image of images) {
    if ((await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).exitCode !== 0) missing.push(image);
  }
  if (missing.length) {
    throw new EnvironmentError(`not on the host engine, so not copied into the lab: ${missing.join(', ')}`, 'build or pull them first (e.g. `sudo bash test/support/setup-docker.sh`), or leave out --image');
  }
}

export async function copyImages(images: string[], nodes: LabNodePlan[]): Promise<void> {
  if (!images.length || !nodes.length) return;
  await runChecked('docker', ['save', '--output', ARCHIVE, ...images], `saving ${images.join(', ')} from the host engine`);
  try {
    await Promise.all(
      nodes.map(async (node) => {
        const r = await nodeDocker(node, ['load', '--quiet', '--input', ARCHIVE], 300_000);
        if (r.exitCode !== 0) throw new FailedError(`loading images into ${node.name} failed: ${r.stderr.trim()}`);
      }),
    );
  } finally {
    await rm(ARCHIVE, { force: true });
  }
}
