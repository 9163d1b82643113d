// `redis-check-rdb` on a host file, run inside a container of the deployment's own Redis image:
// that binary is the one that will load the file, so it also refuses an RDB format its Redis
// cannot read (a backup from a newer Redis). The host's redis-check-rdb, if any, may be
// another version and would say nothing about that.
//
// The temporary copy goes into the data volume (`/data/.redis-ha-check-<random>.rdb`), owned
// by the container's user, and is removed afterwards. Not /tmp: the hardened containers have a
// read-only root file system with /tmp as a tmpfs, and `docker cp` can write neither (it only
// reaches volumes). The dot name and random suffix keep it apart from Redis's own files.
import { randomBytes } from 'node:crypto';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { dataOwner } from './data-owner.js';

export interface RdbCheck {
  ok: boolean;
  /** "[info] N keys read" */
  keysRead?: number;
  /** What is wrong (the lines after "RDB ERROR DETECTED"), or the last output lines. */
  problem?: string;
  output: string;
}

export function parseCheckRdb(output: string, exitCode: number): RdbCheck {
  const keysRead = output.match(/\[info\] (\d+) keys read/)?.[1];
  const ok = exitCode === 0 && /RDB looks OK/.test(output);
  let problem: string | undefined;
  if (!ok) {
    const after = output.split('--- RDB ERROR DETECTED ---')[1];
    const lines = (after ?? output)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('[info]'));
    problem = lines.slice(0, 3).join('; ') || `redis-check-rdb exited ${exitCode}`;
  }
  return { ok, keysRead: keysRead === undefined ? undefined : Number(keysRead), problem, output };
}

/** Where synth mounts every Redis node's data volume (its `<service>-data` volume). */
const DATA_VOLUME = '/data';

export async function checkRdbInContainer(runtime: Runtime, container: Pick<ContainerInfo, 'id' | 'user'>, hostFile: string): Promise<RdbCheck> {
  const containerId = container.id;
  const inside = `${DATA_VOLUME}/.redis-ha-check-${randomBytes(6).toString('hex')}.rdb`;
  await runtime.copyTo(containerId, hostFile, inside, { owner: dataOwner(container) });
  try {
    const r = await runtime.exec(containerId, ['redis-check-rdb', inside], { timeoutMs: 300_000 });
    return parseCheckRdb(`${r.stdout}\n${r.stderr}`, r.exitCode);
  } finally {
    await runtime.exec(containerId, ['rm', '-f', inside]).catch(() => undefined);
  }
}
