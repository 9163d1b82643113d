// Finding and stopping the lab's processes from /proc: engines, their containerd, shims and
// every container process. Found by what they point at (an argument or the working directory
// under a lab root, a cgroup under /redis-ha-lab-nodeI) plus all their descendants, so a
// crash that lost the state file or a shim whose engine died still leaves nothing behind.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { waitFor, WaitTimeoutError } from '../wait.js';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Z for a zombie (dead, not yet reaped). */
  state: string;
  args: string[];
  cwd: string;
  cgroup: string;
}

/** What marks a process as the lab's (or one node's). */
export interface ProcessMatch {
  /** Directories: an argument or the cwd under one of them matches. */
  roots: string[];
  /** Matches a cgroup path in /proc/PID/cgroup (e.g. /redis-ha-lab-node1). */
  cgroup: RegExp;
}

async function readProcess(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
    return { pid, ppid: Number(rest[1]), state: rest[0] ?? '?', args: cmdline.split('\0').filter(Boolean), cwd, cgroup };
  } catch {
    return undefined; // gone meanwhile
  }
}

export async function listProcesses(): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const all = await Promise.all(pids.map(readProcess));
  return all.filter((p): p is ProcessInfo => p !== undefined);
}

const under = (path: string, root: string) => path === root || path.startsWith(`${root}/`);
const mentions = (arg: string, root: string) => arg === root || arg.includes(`${root}/`);

export function matchesLab(p: ProcessInfo, match: ProcessMatch): boolean {
  if (match.roots.some((root) => under(p.cwd, root) || p.args.some((arg) => mentions(arg, root)))) return true;
  return p.cgroup.split('\n').some((line) => match.cgroup.test(line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1)));
}

/**
 * The pids of every live process that matches, and of all their descendants, minus `spare`
 * (the caller and its ancestors: a shell whose cwd is a lab directory must not kill itself).
 */
export function selectProcesses(procs: ProcessInfo[], match: ProcessMatch, spare: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const selected = new Set<number>();
  const queue = procs.filter((p) => matchesLab(p, match)).map((p) => p.pid);
  while (queue.length) {
    const pid = queue.pop()!;
    if (selected.has(pid)) continue;
    selected.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  const live = new Set(procs.filter((p) => p.state !== 'Z').map((p) => p.pid));
  return [...selected].filter((pid) => live.has(pid) && !spare.includes(pid)).sort((a, b) => a - b);
}

/** This process and its ancestors. */
export function selfAndAncestors(procs: ProcessInfo[], self: number): number[] {
  const parent = new Map(procs.map((p) => [p.pid, p.ppid]));
  const chain: number[] = [];
  for (let pid: number | undefined = self; pid && !chain.includes(pid); pid = parent.get(pid)) chain.push(pid);
  return chain;
}

export async function findProcesses(match: ProcessMatch): Promise<number[]> {
  const procs = await listProcesses();
  return selectProcesses(procs, match, selfAndAncestors(procs, process.pid));
}

/** False for a pid that is gone or a zombie (dead, waiting to be reaped by its new parent). */
export async function alive(pid: number): Promise<boolean> {
  const p = await readProcess(pid);
  return p !== undefined && p.state !== 'Z';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Waits until none of `pids` is alive; returns those still alive at the deadline. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  let left = pids;
  try {
    await waitFor(
      `processes ${pids.join(', ')} to end`,
      async () => {
        const flags = await Promise.all(left.map(alive));
        left = left.filter((_, i) => flags[i]);
        return { verdict: left.length ? 'waiting' : 'done', value: undefined, state: `${left.join(', ')} alive` };
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
  }
  return left;
}

export function killNow(pids: number[]): void {
  for (const pid of pids) signal(pid, 'SIGKILL');
}

/**
 * SIGTERM `graceful` (engines: they stop their containers and unmount), wait up to graceMs,
 * then SIGKILL everything that `match` still finds (a manager without quorum may ignore
 * SIGTERM). Returns the pids that were still alive at the end (should be none).
 */
export async function stopProcesses(graceful: number[], match: ProcessMatch, graceMs: number): Promise<number[]> {
  for (const pid of graceful) signal(pid, 'SIGTERM');
  await waitGone(graceful, graceMs);
  let left: number[] = [];
  for (let round = 0; round < 3; round++) {
    const found = await findProcesses(match);
    if (!found.length) return [];
    killNow(found);
    left = await waitGone(found, 5000);
  }
  return left;
}
