// What the lab may leave in the host's mount table and cgroup tree, and removing it.
// The engines run in their own mount namespaces, so normally nothing is left; this is the
// safety net for a lab started differently or killed half-way.
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.js';
import { LAB_CGROUP_PREFIX, LAB_DATA_ROOT, LAB_RUN_ROOT } from './plan.js';

/** Mount points from /proc/PID/mountinfo text (field 5, octal escapes decoded). */
export function parseMountPoints(mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => Boolean(p))
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
}

const LAB_ROOTS = [LAB_DATA_ROOT, LAB_RUN_ROOT];
const underLab = (p: string) => LAB_ROOTS.some((root) => p === root || p.startsWith(`${root}/`));

export async function labMounts(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return parseMountPoints(text).filter(underLab);
}

/** Lazily unmounts every mount under the lab roots, deepest first. Returns what it unmounted. */
export async function unmountLab(): Promise<string[]> {
  const done: string[] = [];
  for (let round = 0; round < 5; round++) {
    const mounts = (await labMounts()).sort((a, b) => b.length - a.length);
    if (!mounts.length) break;
    for (const m of mounts) {
      if ((await run('umount', ['--lazy', m])).exitCode === 0) done.push(m);
    }
  }
  return done;
}

/** Empty cgroup directories /sys/fs/cgroup/<controller>/redis-ha-lab-nodeI (v1) or .../redis-ha-lab-nodeI (v2). */
export async function removeLabCgroups(): Promise<string[]> {
  const base = '/sys/fs/cgroup';
  const candidates: string[] = [];
  const top = await readdir(base, { withFileTypes: true }).catch(() => []);
  for (const entry of top) {
    if (!entry.isDirectory()) continue;
    if (entry.name.startsWith(LAB_CGROUP_PREFIX)) candidates.push(join(base, entry.name));
    const inner = await readdir(join(base, entry.name), { withFileTypes: true }).catch(() => []);
    for (const e of inner) if (e.isDirectory() && e.name.startsWith(LAB_CGROUP_PREFIX)) candidates.push(join(base, entry.name, e.name));
  }
  const removed: string[] = [];
  for (const dir of candidates) if (await removeCgroupTree(dir)) removed.push(dir);
  return removed;
}

// A cgroup directory is removed with rmdir (its files are virtual), children first.
async function removeCgroupTree(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(join(dir, e.name));
  return rmdir(dir).then(
    () => true,
    () => false,
  );
}

export async function removeLabDirs(): Promise<void> {
  for (const root of LAB_ROOTS) await rm(root, { recursive: true, force: true });
}
