// nodes.json: how deploy reached each swarm node's engine (node hostname -> DOCKER_HOST), kept
// beside the rendered files so that later commands need no --node-host. Addresses only, no
// secret. The values are checked by the command that uses them (runtime/node-hosts.ts).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NODE_HOSTS_FILE } from '../paths.js';
import { readText, writeFileAtomic } from './writer.js';

/** The hosts recorded at deploy (empty when none were). */
export async function readNodeHosts(dir: string): Promise<Record<string, string>> {
  const text = await readText(join(dir, NODE_HOSTS_FILE));
  if (text === undefined) return {};
  return (JSON.parse(text) as { nodes?: Record<string, string> }).nodes ?? {};
}

/** Records the hosts (merged over those recorded before), sorted by node. */
export async function writeNodeHosts(dir: string, hosts: Record<string, string>): Promise<void> {
  const merged = { ...(await readNodeHosts(dir)), ...hosts };
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  await writeFileAtomic(join(dir, NODE_HOSTS_FILE), `${JSON.stringify({ generator: 'redis-ha', nodes: sorted }, null, 2)}\n`, 0o644);
}

/** Removes nodes.json; whether there was one. */
export async function removeNodeHosts(dir: string): Promise<boolean> {
  const existed = (await readText(join(dir, NODE_HOSTS_FILE))) !== undefined;
  await rm(join(dir, NODE_HOSTS_FILE), { force: true });
  return existed;
}
