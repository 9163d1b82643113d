// What a bench run may be told from the environment, in one place: how many runs, which parts
// to skip, and the names and ports its deployments use (so a trial run beside other work can
// move them: BENCH_NAME_PREFIX=benchdev BENCH_PORT_BASE=8300).
//
// Ports, from BENCH_PORT_BASE (P). Parts run one after another, and each removes what it
// started, so they share three slots:
//   P        redis-ha deployments   P+1.., P+101.., P+200..P+202
//   P+210    compose files the bench writes (floors, the tutorial file)   P+211.., P+311..
//   P+500    bare redis-server / redis-sentinel processes   P+501.., P+601..
// The cluster part has a range of its own (BENCH_CLUSTER_PORT_BASE, C: 24500), clear of the
// other parts' and of the cluster integration tests' (24000):
//   C        its redis-ha cluster deployment   C+1..C+6
//   C+100    its floor, the compose file it writes   C+101..C+106
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);
export const NAME_PREFIX = process.env.BENCH_NAME_PREFIX ?? 'bench';
export const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 8300);
export const DEPLOY_PORT_BASE = PORT_BASE;
export const COMPOSE_PORT_BASE = PORT_BASE + 210;
export const BARE_PORT_BASE = PORT_BASE + 500;
export const CLUSTER_PORT_BASE = Number(process.env.BENCH_CLUSTER_PORT_BASE ?? 24500);
export const CLUSTER_FLOOR_PORT_BASE = CLUSTER_PORT_BASE + 100;
/**
 * Seconds of each idle-CPU window, and of the slices its spread is taken over. 60: the container
 * healthchecks' interval at rest, so that a window holds one run of each (a 30 s window right
 * after deploy held none, and left their cost out of the figure).
 */
export const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
export const IDLE_SLICE_S = Math.min(IDLE_S, Number(process.env.BENCH_IDLE_SLICE_S ?? 5));

/** A deployment or compose project name of the bench: `<prefix>-<what>`. */
export const benchName = (what: string) => `${NAME_PREFIX}-${what}`;

/** BENCH_SKIP_<PART>=1 skips a part (PART in upper case, dashes as underscores). */
export const skipped = (part: string) => process.env[`BENCH_SKIP_${part.toUpperCase().replace(/-/g, '_')}`] === '1';

export const log = (line: string) => process.stderr.write(`${line}\n`);
