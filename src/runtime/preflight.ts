// Checks before `up`, each failing with what to do: engine, deploy tool, images, ports.
import { createServer } from 'node:net';
import { EnvironmentError } from '../errors.js';
import { publishedPorts } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import type { ContainerInfo, HeldPort, Runtime } from './runtime.js';

export function imagesOf(t: Topology): string[] {
  const images = [t.redis.image];
  if (t.haproxy.enabled) images.push(t.haproxy.image);
  if (t.exporter.enabled) images.push(t.exporter.image);
  if (t.monitoring.enabled) images.push(t.monitoring.prometheus.image);
  if (t.monitoring.alertmanager.enabled) images.push(t.monitoring.alertmanager.image);
  if (t.monitoring.grafana.enabled) images.push(t.monitoring.grafana.image);
  return [...new Set(images)];
}

/** Pulls what is not local; aborting `signal` cancels a pull under way. */
export async function ensureImages(runtime: Runtime, t: Topology, signal?: AbortSignal): Promise<void> {
  const problems: string[] = [];
  for (const image of imagesOf(t)) {
    signal?.throwIfAborted();
    if (await runtime.imageExists(image)) continue;
    const pulled = await runtime.pullImage(image, { signal });
    if (!pulled.ok) problems.push(`${image} (${pulled.message})`);
  }
  if (problems.length) {
    throw new EnvironmentError(
      `image${problems.length > 1 ? 's' : ''} neither local nor pullable: ${problems.join('; ')}`,
      'check the name and tag, `docker pull` it, or point at a local image with --redis-image / --haproxy-image / --exporter-image / --prometheus-image / --alertmanager-image / --grafana-image',
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

/** Two bindings collide when the ports match and either listens on every address. */
const overlaps = (bind: string, hostIp: string) => hostIp === bind || ['', '0.0.0.0', '::'].includes(hostIp) || ['0.0.0.0', '::'].includes(bind);

/**
 * Ports the deployment publishes that something else holds: a container in any state (asked of
 * the engine; a restarting container is not listening, yet `up` fails on its port), or any
 * other process (a listen test). Its own containers' ports are fine.
 */
export async function ensurePortsFree(t: Topology, own: ContainerInfo[], held: HeldPort[]): Promise<void> {
  const ownNames = new Set(own.map((c) => c.name));
  const ownPorts = new Set(own.flatMap((c) => Object.values(c.ports).flat().map((b) => b.hostPort)));
  const taken: string[] = [];
  for (const { port, service } of publishedPorts(t)) {
    const holder = held.find((h) => h.hostPort === port && !ownNames.has(h.container) && overlaps(t.bind, h.hostIp));
    if (holder) {
      taken.push(`${t.bind}:${port} (${service}; held by container ${holder.container}, ${holder.state})`);
      continue;
    }
    if (ownPorts.has(port)) continue;
    if (!(await portFree(t.bind, port))) taken.push(`${t.bind}:${port} (${service})`);
  }
  if (taken.length) {
    throw new EnvironmentError(
      `port${taken.length > 1 ? 's' : ''} already in use: ${taken.join(', ')}`,
      'stop what holds them (`ss -ltnp`, `docker ps -a`), or move the deployment with --port-base',
    );
  }
}

export interface Preflight {
  engine: string;
  /** The deploy tool, e.g. "v1" (compose). */
  tool: string;
  /** The deployment's containers before this run (empty for a first deploy). */
  existing: ContainerInfo[];
}

export async function preflight(runtime: Runtime, t: Topology, signal?: AbortSignal): Promise<Preflight> {
  signal?.throwIfAborted();
  // All side by side; an unreachable engine is reported first since it explains the rest.
  const [engine, tool, existing, held, images] = await Promise.allSettled([
    runtime.checkEngine(),
    runtime.checkTool(),
    runtime.containers(t.name),
    runtime.heldPorts(),
    ensureImages(runtime, t, signal),
  ]);
  signal?.throwIfAborted();
  for (const r of [engine, tool, existing, held, images]) if (r.status === 'rejected') throw r.reason;
  const own = (existing as PromiseFulfilledResult<ContainerInfo[]>).value;
  await ensurePortsFree(t, own, (held as PromiseFulfilledResult<HeldPort[]>).value);
  return {
    engine: (engine as PromiseFulfilledResult<{ serverVersion: string }>).value.serverVersion,
    tool: (tool as PromiseFulfilledResult<{ name: string }>).value.name,
    existing: own,
  };
}
