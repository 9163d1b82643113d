// The lab's state file (/run/redis-ha-lab/state.json): what `lab up` built, for `lab status`,
// `lab down`, the fault helpers and later commands (--node-host). /run is cleared on reboot,
// like the namespaces the file describes.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { FailedError } from '../errors.js';
import { LAB_BRIDGE, LAB_STATE_FILE, LAB_SUBNET, nodePlan, type LabNodePlan } from './plan.js';

const nodeState = z
  .object({
    name: z.string().regex(/^node[1-7]$/),
    index: z.number().int().min(1).max(7),
    netns: z.string(),
    veth: z.string(),
    address: z.string(),
    dockerHost: z.string().startsWith('unix://'),
    socket: z.string(),
    dataRoot: z.string(),
    runRoot: z.string(),
    logFile: z.string(),
    /** The engine's pid (its containerd's, when it has started one) at the last start. */
    pids: z.object({ dockerd: z.number().int().positive().optional(), containerd: z.number().int().positive().optional() }),
  })
  .strict();

export const labStateSchema = z
  .object({
    version: z.literal(1),
    createdAt: z.string(),
    bridge: z.string(),
    subnet: z.string(),
    manager: z.string(),
    images: z.array(z.string()),
    nodes: z.array(nodeState).min(1),
  })
  .strict();

export type LabNodeState = z.infer<typeof nodeState>;
export type LabState = z.infer<typeof labStateSchema>;

export function nodeStateFrom(plan: LabNodePlan, pids: LabNodeState['pids']): LabNodeState {
  const { name, index, netns, veth, address, dockerHost, socket, dataRoot, runRoot, logFile } = plan;
  return { name, index, netns, veth, address, dockerHost, socket, dataRoot, runRoot, logFile, pids };
}

export function newLabState(nodes: LabNodeState[], images: string[], now = new Date()): LabState {
  return { version: 1, createdAt: now.toISOString(), bridge: LAB_BRIDGE, subnet: LAB_SUBNET, manager: nodes[0]!.name, images, nodes };
}

/** Parses the file's text; a node whose recorded paths differ from the plan is refused (hand-edited or from another version). */
export function parseLabState(text: string, file = LAB_STATE_FILE): LabState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FailedError(`${file} is not JSON: ${(err as Error).message}`, 'run `redis-ha lab down` then `redis-ha lab up`');
  }
  const parsed = labStateSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new FailedError(`${file} is not a lab state file: ${where}`, 'run `redis-ha lab down` then `redis-ha lab up`');
  }
  for (const node of parsed.data.nodes) {
    const plan = nodePlan(node.index);
    if (node.name !== plan.name || node.socket !== plan.socket || node.netns !== plan.netns || node.veth !== plan.veth) {
      throw new FailedError(`${file}: node ${node.name} does not match the lab plan`, 'run `redis-ha lab down` then `redis-ha lab up`');
    }
  }
  return parsed.data;
}

/** The recorded state, or undefined when there is no lab (no file). */
export async function readLabState(file = LAB_STATE_FILE): Promise<LabState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseLabState(text, file);
}

export async function writeLabState(state: LabState, file = LAB_STATE_FILE): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, file);
}
