// Redis memory sizes, and the container memory limit a node's maxmemory implies.

/** maxmemory of a node when the topology sets none (rules.ts warns): a bound, not a guess at the data. */
export const DEFAULT_MAXMEMORY = '256mb';

/** Redis memory size (256mb, 1gb, 1024, 0) in bytes, as Redis reads it (k/m/g = 1000^n, kb/mb/gb = 1024^n). */
export function memoryBytes(size: string | number): number {
  if (typeof size === 'number') return size;
  const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(size);
  if (!m) return 0;
  const unit = { b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Number(m[1]) * unit;
}

/**
 * The container memory limit of a Redis node: maxmemory twice over (a fork for AOF rewrite or
 * a full sync copies pages that change while it runs) plus 64 MiB for buffers and the process
 * itself. None with maxmemory 0 (no limit): Redis would then be killed at the container limit
 * instead of refusing writes; the rules warn about that setting.
 */
export function redisMemoryLimit(maxmemory: string | number): string | undefined {
  const bytes = memoryBytes(maxmemory);
  return bytes > 0 ? `${Math.ceil((2 * bytes) / 1024 ** 2) + 64}m` : undefined;
}
