// Bare Redis and Sentinel processes (Debian's redis-server, redis-sentinel) on 127.0.0.1, each
// in its own temporary directory: the floor a deployment's failover is measured against. The
// set kills every process it started and removes the directories in `stop()`, and on the
// bench process's exit if `stop()` was never reached.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BareSettings {
  portBase: number;
  replicas: number;
  sentinels: number;
  masterName: string;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
}

interface BareProcess {
  port: number;
  args: string[];
  child?: ChildProcess;
}

/** redis.conf of a bare node: loopback, no persistence (the floor does the least). Pure. */
export function bareRedisConf(port: number, dir: string, masterPort?: number): string {
  return [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'save ""', 'appendonly no', ...(masterPort ? [`replicaof 127.0.0.1 ${masterPort}`] : [])].join('\n') + '\n';
}

/** sentinel.conf of a bare Sentinel. Pure. */
export function bareSentinelConf(port: number, dir: string, s: BareSettings): string {
  const m = s.masterName;
  return (
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${m} 127.0.0.1 ${s.portBase + 1} ${s.quorum}`,
      `sentinel down-after-milliseconds ${m} ${s.downAfterMs}`,
      `sentinel failover-timeout ${m} ${s.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${m} ${s.parallelSyncs}`,
    ].join('\n') + '\n'
  );
}

export class BareSentinelSet {
  readonly redisPorts: number[];
  readonly sentinelPorts: number[];
  private readonly processes = new Map<number, BareProcess>();
  private readonly killAll = () => {
    for (const p of this.processes.values()) p.child?.kill('SIGKILL');
  };

  private constructor(
    private readonly dir: string,
    readonly settings: BareSettings,
  ) {
    this.redisPorts = Array.from({ length: settings.replicas + 1 }, (_, i) => settings.portBase + 1 + i);
    this.sentinelPorts = Array.from({ length: settings.sentinels }, (_, i) => settings.portBase + 101 + i);
  }

  /** Writes the configs and starts every process (1 master, replicas, Sentinels). */
  static async start(settings: BareSettings): Promise<BareSentinelSet> {
    const set = new BareSentinelSet(await mkdtemp(join(tmpdir(), 'redis-ha-bare-')), settings);
    process.once('exit', set.killAll);
    try {
      for (const [i, port] of set.redisPorts.entries()) {
        const dir = join(set.dir, String(port));
        await mkdir(dir);
        await writeFile(join(dir, 'redis.conf'), bareRedisConf(port, dir, i > 0 ? set.redisPorts[0] : undefined));
        set.processes.set(port, { port, args: ['redis-server', join(dir, 'redis.conf')] });
      }
      for (const port of set.sentinelPorts) {
        const dir = join(set.dir, String(port));
        await mkdir(dir);
        await writeFile(join(dir, 'sentinel.conf'), bareSentinelConf(port, dir, settings));
        set.processes.set(port, { port, args: ['redis-sentinel', join(dir, 'sentinel.conf')] });
      }
      for (const port of set.processes.keys()) await set.launch(port);
    } catch (err) {
      await set.stop();
      throw err;
    }
    return set;
  }

  /** (Re)starts the process of `port` with its config (a Sentinel may have rewritten it). */
  async launch(port: number): Promise<void> {
    const p = this.processes.get(port);
    if (!p) throw new Error(`no bare process on port ${port}`);
    const child = spawn(p.args[0]!, p.args.slice(1), { stdio: 'ignore' });
    p.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`cannot start ${p.args.join(' ')}: ${err.message}`)));
    });
  }

  /** kill -9 the process on `port`; resolves once it is gone. */
  async kill9(port: number): Promise<void> {
    const child = this.processes.get(port)?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((port) => this.kill9(port)));
    process.removeListener('exit', this.killAll);
    await rm(this.dir, { recursive: true, force: true });
  }
}
