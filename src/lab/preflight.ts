// What the lab needs from the machine: Linux, root, and these programs (with the Debian
// package that provides each, for the error message).
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { EnvironmentError } from '../errors.js';

export const LAB_PROGRAMS: Record<string, string> = {
  ip: 'iproute2',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  hostname: 'hostname',
  iptables: 'iptables',
  dockerd: 'docker.io',
  docker: 'docker.io',
  containerd: 'containerd',
  'containerd-shim-runc-v2': 'containerd',
  runc: 'runc',
};

async function onPath(name: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    if (await access(join(dir, name), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

/** Programs of LAB_PROGRAMS not found on `path`. */
export async function missingPrograms(path: string): Promise<string[]> {
  const missing: string[] = [];
  for (const name of Object.keys(LAB_PROGRAMS)) if (!(await onPath(name, path))) missing.push(name);
  return missing;
}

export function missingProgramsError(missing: string[]): EnvironmentError {
  const packages = [...new Set(missing.map((m) => LAB_PROGRAMS[m]!))].sort();
  return new EnvironmentError(
    `the lab needs ${missing.join(', ')} (not found on PATH)`,
    `install them: \`apt-get install ${packages.join(' ')}\``,
  );
}

export interface Host {
  platform: string;
  uid: number | undefined;
  path: string;
}

/** The host facts the lab checks; the one place src/lab reads `process` for them. */
export function currentHost(): Host {
  return { platform: process.platform, uid: process.getuid?.(), path: process.env.PATH ?? '' };
}

/** Throws an EnvironmentError (exit 3) naming what is missing, before anything is created. */
export async function checkLabHost(host: Host = currentHost()): Promise<void> {
  if (host.platform !== 'linux') throw new EnvironmentError(`the lab needs Linux network namespaces (this is ${host.platform})`);
  if (host.uid !== 0) {
    throw new EnvironmentError(
      'the lab needs root: it creates network namespaces, a bridge, an iptables rule and Docker engines',
      'run it as root, e.g. `sudo redis-ha lab up`',
    );
  }
  const missing = await missingPrograms(host.path);
  if (missing.length) throw missingProgramsError(missing);
}
