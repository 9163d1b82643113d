// Who must own what redis-ha puts into a Redis container's data volume: the user Redis runs as
// (the service's `user:`, "999" since the hardening: uid only), so that it can read the RDB and write
// into a fresh AOF directory. A name cannot be resolved here (that needs the image's
// /etc/passwd, and `docker exec` does not work on a stopped container): it is taken as the
// official Redis image's `redis` user, 999:999.
import type { ContainerInfo, FileOwner } from '../runtime/runtime.js';

export const REDIS_IMAGE_USER: FileOwner = { uid: 999, gid: 999 };

export function dataOwner(container: Pick<ContainerInfo, 'user'>): FileOwner {
  const user = (container.user ?? '').trim();
  // No user: the image's default, which for a container that is not hardened is root.
  if (user === '') return { uid: 0, gid: 0 };
  const numeric = user.match(/^(\d+)(?::(\d+))?$/);
  // "999" alone (what synth renders): its group comes from the image's /etc/passwd (999 on Debian,
  // 1000 on Alpine) and is not known here. It does not matter: files are 0600 and directories
  // 0700, only the owner's uid counts; the same number is a placeholder.
  if (numeric) return { uid: Number(numeric[1]), gid: Number(numeric[2] ?? numeric[1]) };
  return REDIS_IMAGE_USER;
}
