// Removes services the topology no longer has from a compose deployment: their containers
// (stopped with a grace period) and their data volumes, so a node added again later starts clean.
import type { Runtime } from '../runtime/runtime.js';

/** The number of containers removed. */
export async function removeServices(runtime: Runtime, project: string, services: string[]): Promise<number> {
  const containers = (await runtime.containers(project)).filter((c) => services.includes(c.service));
  await runtime.removeContainers(containers.map((c) => c.id), { graceSeconds: 10 });
  const volumes = await runtime.volumes(project);
  for (const service of services) for (const v of volumes.filter((name) => name.endsWith(`_${service}-data`))) await runtime.removeVolume(v);
  return containers.length;
}
