// The TLS configs read by the programs that read them in production, with real certificates
// (issued as `render --tls` issues them): redis-server and redis-sentinel start on TLS only,
// answer redis-cli --tls --cacert ca.crt, refuse a client that trusts another CA, replicate
// over TLS, and Sentinel reads a node over TLS; haproxy -c accepts haproxy.cfg; openssl
// verifies every certificate against ca.crt. Missing binaries skip (fail with CI=true).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateCertificates } from '../../src/files/certificates.js';
import type { Topology } from '../../src/model/schema.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { CA_CERT_FILE, tlsSecretFile } from '../../src/synth/tls.js';
import { freePort, requireBinary, run, startBackground, waitFor, which, type Background } from '../helpers/binaries.js';
import { FIXED_SECRETS as SECRETS } from '../helpers/secrets.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

const BAD_LOG = /Bad directive|FATAL|Unrecognized|wrong number of arguments|Invalid argument|Failed to configure TLS/i;

describe('TLS configs on the real tools', () => {
  let dir: string;
  let secretsDir: string;
  let otherCa: string;
  let topology: Topology;
  let files: Map<string, string>;
  const stops: Background[] = [];
  const works: string[] = [];

  /** A config as the container sees it, on this host: /run/secrets/ -> secretsDir, dir /data -> a work dir. */
  async function runnable(rendered: string, extraLines: string[]) {
    const work = await makeTempDir('redis-ha-tls-');
    works.push(work);
    const text = (await readFile(join(dir, rendered), 'utf8')).replaceAll('/run/secrets/', `${secretsDir}/`).replace(/^dir \/data$/m, `dir ${work}`);
    const conf = join(work, 'live.conf');
    await writeFile(conf, `${text}\n${extraLines.join('\n')}\n`);
    return { conf, work };
  }

  /** redis-cli over TLS as `user`, trusting `ca` (the deployment's by default). */
  const tlsCli = (port: number, user: keyof typeof SECRETS, args: string[], ca = join(dir, CA_CERT_FILE)) =>
    run('redis-cli', ['--tls', '--cacert', ca, '-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '--raw', '--user', user, ...args], {
      env: { ...process.env, REDISCLI_AUTH: SECRETS[user] },
      timeoutMs: 5000,
    });

  async function start(binary: string, rendered: string, extraLines: string[], extraArgs: string[] = []) {
    const { conf, work } = await runnable(rendered, extraLines);
    const port = await freePort();
    // port 0 as rendered (no plain port); the TLS port moved to a free one on this host.
    const server = startBackground(binary, [conf, '--tls-port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', ...extraArgs], { cwd: work });
    stops.push(server);
    const ok = await waitFor(() => server.exited() || tlsCli(port, 'health', ['PING']).stdout.trim() === 'PONG', 10_000);
    assert.ok(ok && !server.exited(), `${binary} ${rendered} answers PING over TLS; output:\n${server.output()}`);
    return { port, server };
  }

  before(async () => {
    dir = await makeTempDir('redis-ha-tls-render-');
    topology = topologyOf('full', { tls: { enabled: true }, profile: 'fast' });
    const tls = await loadOrCreateCertificates(dir, topology);
    files = synthesize(topology, SECRETS, {}, tls.files);
    for (const [path, content] of files) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    // What compose mounts: each TLS file as /run/secrets/<secret name>.
    secretsDir = join(dir, 'run-secrets');
    await mkdir(secretsDir);
    const services = ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3', 'haproxy'];
    for (const secret of ['tls-ca.crt', ...services.flatMap((s) => [`tls-${s}.crt`, `tls-${s}.key`])]) {
      await copyFile(join(dir, tlsSecretFile(secret)!), join(secretsDir, secret));
    }
    const other = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', topology);
    otherCa = join(dir, 'other-ca.crt');
    await writeFile(otherCa, other.files.get(CA_CERT_FILE)!);
  });
  after(async () => {
    for (const s of stops) await s.stop();
    for (const w of works) await removeDir(w);
    await removeDir(dir);
  });

  it('openssl verify: every certificate chains to ca.crt', (t) => {
    if (!requireBinary(t, 'openssl')) return;
    const certs = [...files.keys()].filter((f) => f.startsWith('tls/') && f.endsWith('.crt') && f !== CA_CERT_FILE);
    assert.equal(certs.length, 7);
    const r = run('openssl', ['verify', '-CAfile', join(dir, CA_CERT_FILE), ...certs.map((c) => join(dir, c))]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const c of certs) assert.match(r.stdout, new RegExp(`${c}: OK`));
    const purpose = run('openssl', ['verify', '-CAfile', join(dir, CA_CERT_FILE), '-purpose', 'sslserver', join(dir, 'tls/haproxy.crt')]);
    assert.equal(purpose.status, 0, purpose.stdout + purpose.stderr);
  });

  it('redis-server: TLS only, verified by the CA; replication over TLS; Sentinel reads the nodes over TLS', async (t) => {
    if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-sentinel') || !requireBinary(t, 'redis-cli')) return;
    const master = await start('redis-server', 'redis/redis-1.conf', [`masterauth ${SECRETS.replica}`]);
    assert.equal(tlsCli(master.port, 'admin', ['CONFIG', 'GET', 'port']).stdout.split('\n')[1], '0', 'no plain-text port');
    // A client without TLS gets no answer; one that trusts another CA fails the handshake.
    const plain = run('redis-cli', ['-h', '127.0.0.1', '-p', String(master.port), '--user', 'health', '--no-auth-warning', 'PING'], {
      env: { ...process.env, REDISCLI_AUTH: SECRETS.health },
      timeoutMs: 5000,
    });
    assert.notEqual(plain.stdout.trim(), 'PONG', `a plain-text client was answered: ${plain.stdout}`);
    const foreign = tlsCli(master.port, 'health', ['PING'], otherCa);
    assert.notEqual(foreign.stdout.trim(), 'PONG');
    assert.match(foreign.stdout + foreign.stderr, /certificate verify failed|TLS/i);

    // redis-2 as rendered (tls-replication yes), replicating the local master.
    const replica = await start('redis-server', 'redis/redis-2.conf', [`masterauth ${SECRETS.replica}`], ['--replicaof', 'no', 'one']);
    assert.equal(tlsCli(replica.port, 'admin', ['REPLICAOF', '127.0.0.1', String(master.port)]).stdout.trim(), 'OK');
    const linked = await waitFor(() => /master_link_status:up/.test(tlsCli(replica.port, 'health', ['INFO', 'replication']).stdout), 10_000);
    assert.ok(linked, `the replica links over TLS; log:\n${replica.server.output()}`);
    // min-replicas-to-write 1: the master takes writes once the replica has acknowledged.
    assert.ok(await waitFor(() => tlsCli(master.port, 'app', ['SET', 'tls-key', 'over-tls']).stdout.trim() === 'OK', 5000));
    assert.ok(await waitFor(() => tlsCli(replica.port, 'admin', ['GET', 'tls-key']).stdout.trim() === 'over-tls', 5000));

    // sentinel-1 as rendered, monitoring the local master instead of the name redis-1.
    const sentinel = await start('redis-sentinel', 'sentinel/sentinel-1.conf', [], ['--sentinel']);
    assert.equal(tlsCli(sentinel.port, 'admin', ['SENTINEL', 'REMOVE', topology.sentinel.masterName]).stdout.trim(), 'OK');
    assert.equal(tlsCli(sentinel.port, 'admin', ['SENTINEL', 'MONITOR', 'local', '127.0.0.1', String(master.port), '1']).stdout.trim(), 'OK');
    tlsCli(sentinel.port, 'admin', ['SENTINEL', 'SET', 'local', 'auth-user', 'sentinel', 'auth-pass', SECRETS.sentinel]);
    // The replica count comes from the master's INFO, which Sentinel read over TLS as the user sentinel.
    const seen = await waitFor(() => {
      const fields = tlsCli(sentinel.port, 'admin', ['SENTINEL', 'MASTER', 'local']).stdout.split('\n');
      const get = (k: string) => fields[fields.indexOf(k) + 1];
      return get('flags') === 'master' && Number(get('num-slaves')) >= 1;
    }, 15_000);
    assert.ok(seen, `Sentinel sees the master and its replica over TLS; log:\n${sentinel.server.output()}`);
    for (const s of [master, replica, sentinel]) assert.doesNotMatch(s.server.output(), BAD_LOG, s.server.output());
  });

  it('haproxy -c accepts the TLS haproxy.cfg (front ports terminate TLS, every server and check re-encrypted and verified)', async (t) => {
    if (!requireBinary(t, 'haproxy')) return;
    // As haproxy-start.sh makes it: placeholders filled, certificate and key in one file.
    const pem = join(dir, 'haproxy.pem');
    await writeFile(pem, files.get('tls/haproxy.crt')! + files.get('tls/haproxy.key')!);
    const text = files
      .get('haproxy/haproxy.cfg')!
      .replace(/@@([a-z-]+)@@/g, (_, name: keyof typeof SECRETS) => SECRETS[name])
      .replaceAll('/run/secrets/', `${secretsDir}/`)
      .replaceAll('/tmp/haproxy.pem', pem);
    assert.match(text, /bind :6379 ssl crt /);
    assert.match(text, /server redis-1 redis-1:6379 check verifyhost redis-1/);
    await writeFile(join(dir, 'haproxy.live.cfg'), text);
    const r = run('haproxy', ['-c', '-f', join(dir, 'haproxy.live.cfg')]);
    const output = r.stdout + r.stderr;
    assert.equal(r.status, 0, `haproxy -c failed:\n${output}`);
    assert.doesNotMatch(output, /\[WARNING\]|\[ALERT\]/, `haproxy -c reported:\n${output}`);
  });

  it('docker-compose config -q accepts the TLS compose.yaml (the TLS files as file secrets)', (t) => {
    if (!requireBinary(t, 'docker-compose')) return;
    const r = run('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], { cwd: dir });
    assert.equal(r.status, 0, `docker-compose config failed:\n${r.stdout}${r.stderr}`);
  });

  it('promtool accepts the prometheus.yml; HAProxy hands the exporter rediss:// targets', (t) => {
    if (!requireBinary(t, 'promtool')) return;
    // Prometheus names the node; HAProxy writes the URI, with the TLS scheme.
    assert.match(files.get('prometheus/prometheus.yml')!, /^ {10}- redis-1$/m);
    assert.match(files.get('haproxy/haproxy.cfg')!, /set-query target=rediss:\/\/%\[url_param\(target\)\]:6379 /);
    const r = run('promtool', ['check', 'config', join(dir, 'prometheus/prometheus.yml')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('promtool accepts alerts.yml, whose certificate rule fires 30 days before the first issued certificate ends', (t) => {
    if (!requireBinary(t, 'promtool')) return;
    const r = run('promtool', ['check', 'rules', join(dir, 'prometheus/alerts.yml')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const first = Math.min(...[...files].filter(([p]) => p.startsWith('tls/') && p.endsWith('.crt')).map(([, pem]) => Date.parse(new X509Certificate(pem).validTo)));
    const warnAt = Number(/vector\(time\(\)\) > (\d+)/.exec(files.get('prometheus/alerts.yml')!)?.[1]);
    assert.equal(warnAt, Math.floor(first / 1000) - 30 * 86_400);
  });
});

// The harness notices a TLS config Redis refuses (a key that does not match the certificate).
describe('the TLS harness', () => {
  it('sees a mismatched key as a failed start', async (t) => {
    if (!requireBinary(t, 'redis-server') || !which('redis-cli')) return;
    const work = await makeTempDir('redis-ha-tls-bad-');
    t.after(() => removeDir(work));
    const topology = topologyOf('basic', { tls: { enabled: true } });
    const a = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', topology);
    const b = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', topology);
    await writeFile(join(work, 'a.crt'), a.files.get('tls/redis-1.crt')!);
    await writeFile(join(work, 'b.key'), b.files.get('tls/redis-1.key')!);
    await writeFile(join(work, 'ca.crt'), a.files.get(CA_CERT_FILE)!);
    const conf = join(work, 'bad.conf');
    await writeFile(conf, `port 0\ntls-port ${await freePort()}\ntls-cert-file ${work}/a.crt\ntls-key-file ${work}/b.key\ntls-ca-cert-file ${work}/ca.crt\n`);
    const server = startBackground('redis-server', [conf, '--bind', '127.0.0.1', '--dir', work, '--daemonize', 'no'], { cwd: work });
    t.after(() => server.stop());
    assert.ok(await waitFor(() => server.exited(), 10_000), 'redis-server exits');
    assert.match(server.output(), BAD_LOG);
  });
});
