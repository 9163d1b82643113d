// The cluster preset's TLS configs on the real redis-server, with real certificates (issued as
// `render --tls` issues them): two nodes as rendered start on TLS only, meet over the TLS cluster
// bus (tls-cluster yes), and one replicates the other over TLS (CLUSTER REPLICATE). No Docker:
// the nodes run on this host, on ports of the cluster tests' range. Missing binaries skip (fail
// with CI=true).
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateCertificates } from '../../src/files/certificates.js';
import { CLUSTER_BUS_OFFSET } from '../../src/model/cluster.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { CA_CERT_FILE, tlsSecretFile } from '../../src/synth/tls.js';
import { requireBinary, run, startBackground, waitFor, type Background } from '../helpers/binaries.js';
import { FIXED_SECRETS as SECRETS } from '../helpers/secrets.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

/**
 * Client ports on this host. Their bus ports are + 10000, and must stay below Linux's ephemeral
 * range (32768 and up): a bus port there can be held by any outgoing connection of a busy CI
 * machine, and the node then fails to start (a CI run lost redis-4 on 33984 so).
 */
const PORTS = { 'redis-1': 21981, 'redis-4': 21984 } as const;

describe('cluster TLS configs on the real redis-server', () => {
  let dir: string;
  let secretsDir: string;
  const stops: Background[] = [];
  const works: string[] = [];

  const tlsCli = (port: number, args: string[]) =>
    run('redis-cli', ['--tls', '--cacert', join(dir, CA_CERT_FILE), '-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '--raw', '--user', 'admin', ...args], {
      env: { ...process.env, REDISCLI_AUTH: SECRETS.admin },
      timeoutMs: 5000,
    });

  /** A node's rendered config as its container reads it: /run/secrets/ -> secretsDir, dir /data -> a work dir, masterauth added. */
  async function start(node: keyof typeof PORTS) {
    const work = await makeTempDir('redis-ha-cluster-tls-');
    works.push(work);
    const text = (await readFile(join(dir, `redis/${node}.conf`), 'utf8')).replaceAll('/run/secrets/', `${secretsDir}/`).replace(/^dir \/data$/m, `dir ${work}`);
    const conf = join(work, 'live.conf');
    await writeFile(conf, `${text}\nmasterauth ${SECRETS.replica}\n`);
    const port = PORTS[node];
    // port 0 as rendered; the TLS port moved to this host's test port, the bus follows it (+ 10000).
    const server = startBackground('redis-server', [conf, '--tls-port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no'], { cwd: work });
    stops.push(server);
    const ok = await waitFor(() => server.exited() || tlsCli(port, ['PING']).stdout.trim() === 'PONG', 10_000);
    assert.ok(ok && !server.exited(), `${node} answers PING over TLS; output:\n${server.output()}`);
    return { port, id: tlsCli(port, ['CLUSTER', 'MYID']).stdout.trim(), server };
  }

  before(async () => {
    dir = await makeTempDir('redis-ha-cluster-tls-render-');
    const topology = topologyOf('cluster', { tls: { enabled: true }, profile: 'fast' });
    const tls = await loadOrCreateCertificates(dir, topology);
    for (const [path, content] of synthesize(topology, SECRETS, {}, tls.files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    secretsDir = join(dir, 'run-secrets');
    await mkdir(secretsDir);
    for (const secret of ['tls-ca.crt', ...Object.keys(PORTS).flatMap((s) => [`tls-${s}.crt`, `tls-${s}.key`])]) {
      await copyFile(join(dir, tlsSecretFile(secret)!), join(secretsDir, secret));
    }
  });
  after(async () => {
    for (const s of stops) await s.stop();
    for (const w of works) await removeDir(w);
    await removeDir(dir);
  });

  it('two nodes meet over the TLS cluster bus and one replicates the other over TLS', async (t) => {
    if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-cli')) return;
    const master = await start('redis-1');
    const replica = await start('redis-4');
    assert.equal(tlsCli(master.port, ['CONFIG', 'GET', 'tls-cluster']).stdout.split('\n')[1], 'yes');
    assert.equal(tlsCli(master.port, ['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']).stdout.trim(), 'OK');
    assert.equal(tlsCli(master.port, ['CLUSTER', 'MEET', '127.0.0.1', String(replica.port), String(replica.port + CLUSTER_BUS_OFFSET)]).stdout.trim(), 'OK');
    const met = await waitFor(() => {
      const nodes = tlsCli(master.port, ['CLUSTER', 'NODES']).stdout;
      return nodes.split('\n').some((l) => l.startsWith(replica.id) && / connected/.test(l) && !/handshake/.test(l));
    }, 15_000);
    assert.ok(met, `the nodes meet over the TLS bus; redis-1 sees:\n${tlsCli(master.port, ['CLUSTER', 'NODES']).stdout}\nlogs:\n${master.server.output()}`);
    // The announced names travel over the bus too (in the pings that follow the handshake).
    const named = new RegExp(`^${master.id} 127\\.0\\.0\\.1:${master.port}@${master.port + CLUSTER_BUS_OFFSET},redis-1 `, 'm');
    const known = await waitFor(() => named.test(tlsCli(replica.port, ['CLUSTER', 'NODES']).stdout), 10_000);
    assert.ok(known, `redis-4 knows redis-1 by its announced name:\n${tlsCli(replica.port, ['CLUSTER', 'NODES']).stdout}`);
    assert.equal(tlsCli(replica.port, ['CLUSTER', 'REPLICATE', master.id]).stdout.trim(), 'OK');
    const linked = await waitFor(() => /master_link_status:up/.test(tlsCli(replica.port, ['INFO', 'replication']).stdout), 15_000);
    assert.ok(linked, `redis-4 replicates redis-1 over TLS; its log:\n${replica.server.output()}`);
    const ok = await waitFor(() => /cluster_state:ok/.test(tlsCli(replica.port, ['CLUSTER', 'INFO']).stdout), 10_000);
    assert.ok(ok, tlsCli(replica.port, ['CLUSTER', 'INFO']).stdout);
  });
});
