// Checks before `compose up`, each failing with what to do: engine, compose, images, ports.
import { createServer } from 'node:net';
import { EnvironmentError } from '../errors.js';
import { publishedPorts } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { detectCompose, type ComposeClient } from './compose.js';
import { checkEngine, imageExists, projectContainers, pullImage, type ContainerInfo } from './docker.js';

export function imagesOf(t: Topology): string[] {
  const images = [t.redis.image];
  if (t.haproxy.enabled) images.push(t.haproxy.image);
  if (t.exporter.enabled) images.push(t.exporter.image);
  return [...new Set(images)];
}

export async function ensureImages(t: Topology): Promise<void> {
  const problems: string[] = [];
  for (const image of imagesOf(t)) {
    if (await imageExists(image)) continue;
    const pulled = await pullImage(image);
    if (!pulled.ok) problems.push(`${image} (${pulled.message})`);
  }
  if (problems.length) {
    throw new EnvironmentError(
      `image${problems.length > 1 ? 's' : ''} neither local nor pullable: ${problems.join('; ')}`,
      'check the name and tag, `docker pull` it, or point at a local image with --redis-image / --haproxy-image / --exporter-image',
    );
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Ports the deployment publishes that something else already holds. Its own containers' ports are fine. */
export async function ensurePortsFree(t: Topology, own: ContainerInfo[]): Promise<void> {
  const ownPorts = new Set(own.flatMap((c) => Object.values(c.ports).flat().map((b) => b.hostPort)));
  const taken: string[] = [];
  for (const { port, service } of publishedPorts(t)) {
    if (ownPorts.has(port)) continue;
    if (!(await portFree(t.bind, port))) taken.push(`${t.bind}:${port} (${service})`);
  }
  if (taken.length) {
    throw new EnvironmentError(
      `port${taken.length > 1 ? 's' : ''} already in use: ${taken.join(', ')}`,
      'stop what holds them (`ss -ltnp`), or move the deployment with --port-base',
    );
  }
}

export interface Preflight {
  compose: ComposeClient;
  engine: string;
  /** The deployment's containers before this run (empty for a first deploy). */
  existing: ContainerInfo[];
}

export async function preflight(t: Topology): Promise<Preflight> {
  // All side by side; an unreachable engine is reported first since it explains the rest.
  const [engine, compose, existing, images] = await Promise.allSettled([
    checkEngine(),
    detectCompose(),
    projectContainers(t.name),
    ensureImages(t),
  ]);
  for (const r of [engine, compose, existing, images]) if (r.status === 'rejected') throw r.reason;
  const own = (existing as PromiseFulfilledResult<ContainerInfo[]>).value;
  await ensurePortsFree(t, own);
  return {
    compose: (compose as PromiseFulfilledResult<ComposeClient>).value,
    engine: (engine as PromiseFulfilledResult<{ serverVersion: string }>).value.serverVersion,
    existing: own,
  };
}
