// A rolling deploy on swarm changes one service at a time. `docker stack deploy` applies a
// whole file, and Swarm updates every changed service at once (a redis.conf change would
// restart every Redis node together). So each step deploys a staged file: the services as they
// run now (the stack file of the last deploy), with only those done so far taking their new
// definition. Configs and secrets are content-named objects: a service still on its old
// definition keeps its old objects, referenced by name as `external` (their files are already
// rewritten on disk), so Swarm sees no change in it and leaves its task alone.
import { parse } from 'yaml';
import { toYaml } from '../yaml.js';

interface ObjectRef {
  source: string;
  [key: string]: unknown;
}
interface StackService {
  configs?: (ObjectRef | string)[];
  secrets?: (ObjectRef | string)[];
  [key: string]: unknown;
}
interface StackObject {
  name?: string;
  file?: string;
  external?: boolean;
  [key: string]: unknown;
}
export interface StackFile {
  services?: Record<string, StackService>;
  configs?: Record<string, StackObject>;
  secrets?: Record<string, StackObject>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The key under which a live (old) object is referenced when the new file gives its key another object. */
const liveKey = (key: string) => `${key}-live`;

/**
 * The stack file of one step: `live` (as deployed) with the services in `updated` (and new ones
 * among them) taken from `next`, and those in `removed` left out. Throws when a live service's
 * object has no name to reference (a stack file not written by redis-ha).
 */
export function stageStack(liveText: string, nextText: string, updated: Iterable<string>, removed: Iterable<string> = []): string {
  const live = parse(liveText) as StackFile;
  const next = parse(nextText) as StackFile;
  const take = new Set(updated);
  const drop = new Set(removed);
  const staged: StackFile = { ...next, services: {}, configs: { ...next.configs }, secrets: { ...next.secrets } };
  staged.volumes = { ...live.volumes, ...next.volumes };
  staged.networks = { ...live.networks, ...next.networks };
  const names = [...new Set([...Object.keys(live.services ?? {}), ...Object.keys(next.services ?? {})])];
  for (const name of names) {
    if (drop.has(name)) continue;
    if (take.has(name)) {
      const svc = next.services?.[name];
      if (svc) staged.services![name] = svc;
      continue;
    }
    const svc = live.services?.[name];
    if (!svc) continue; // a new service whose step has not come yet
    staged.services![name] = {
      ...svc,
      ...(svc.configs ? { configs: svc.configs.map((r) => keepLive(r, 'configs', live, staged)) } : {}),
      ...(svc.secrets ? { secrets: svc.secrets.map((r) => keepLive(r, 'secrets', live, staged)) } : {}),
    };
  }
  return toYaml(staged);
}

/** A live service's reference to an object: unchanged when the staged file has the same object under that key, else the live object by name. */
function keepLive(ref: ObjectRef | string, kind: 'configs' | 'secrets', live: StackFile, staged: StackFile): ObjectRef | string {
  const key = typeof ref === 'string' ? ref : ref.source;
  const old = live[kind]?.[key];
  if (!old) return ref;
  const now = staged[kind]![key];
  if (now && now.name === old.name) return ref;
  if (!old.name) throw new Error(`${kind} ${key} of the live stack file has no name: cannot keep it while its service waits for its turn`);
  staged[kind]![liveKey(key)] = { name: old.name, external: true };
  return typeof ref === 'string' ? { source: liveKey(key), target: key } : { ...ref, source: liveKey(key) };
}

/**
 * The services whose definition differs between two stack files, their configs and secrets
 * compared by the objects they name (content-named: a changed file is another object). A
 * service only one of them has is not listed (added and removed services are planned apart).
 */
export function changedServices(liveText: string, nextText: string): Set<string> {
  const live = parse(liveText) as StackFile;
  const next = parse(nextText) as StackFile;
  const resolved = (s: StackFile, name: string) => {
    const svc = s.services?.[name];
    if (!svc) return undefined;
    const named = (kind: 'configs' | 'secrets') =>
      svc[kind]?.map((r) => {
        const ref = typeof r === 'string' ? { source: r } : r;
        return { ...ref, source: s[kind]?.[ref.source]?.name ?? ref.source };
      });
    return JSON.stringify({ ...svc, configs: named('configs'), secrets: named('secrets') });
  };
  const changed = new Set<string>();
  for (const name of Object.keys(live.services ?? {})) {
    const [a, b] = [resolved(live, name), resolved(next, name)];
    if (a !== undefined && b !== undefined && a !== b) changed.add(name);
  }
  return changed;
}
