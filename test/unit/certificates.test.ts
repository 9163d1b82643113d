// TLS certificates: what files/certificates.ts issues (names, validity, key usage, a chain that
// Node's own X509Certificate verifies), what later renders keep or re-issue, and what
// `render --tls` writes with which modes.
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { render } from '../../src/commands/render.js';
import { UsageError } from '../../src/errors.js';
import { loadOrCreateCertificates, readCertificateExpiry, readCertificates } from '../../src/files/certificates.js';
import { formatStatus } from '../../src/commands/status.js';
import { checkCertificates } from '../../src/health/status.js';
import { readManifest, writeDeployment } from '../../src/files/writer.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { nextSecretPath, secretPath } from '../../src/synth/secrets.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { CA_CERT_FILE, CA_KEY_FILE, certFile, certificateRequests, keyFile, swarmServerNames, type TlsFiles } from '../../src/synth/tls.js';
import { serviceIdentityCheck } from '../../src/probes/connect.js';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { withTempDir } from '../helpers/tmp.js';
import { problemsOf, topologyOf, writeTopologyFile } from '../helpers/topology.js';
import { probeHost } from '../../src/model/nodes.js';

const DAY = 86_400_000;
const full = (overrides: Record<string, unknown> = {}) => topologyOf('full', { tls: { enabled: true }, ...overrides });

async function writeTls(dir: string, files: TlsFiles) {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'tls'), { recursive: true });
  for (const [path, content] of files) await writeFile(join(dir, path), content);
}

const sans = (pem: string) => new X509Certificate(pem).subjectAltName?.split(', ').sort();

describe('certificates: issued on the first render', () => {
  it('a CA and one certificate per Redis node, Sentinel and HAProxy; none for the exporter', async () => {
    const t = full();
    const { files, issued } = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', t);
    const services = ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3', 'haproxy'];
    assert.deepEqual(issued, ['CA', ...services]);
    assert.deepEqual([...files.keys()].sort(), [CA_CERT_FILE, CA_KEY_FILE, ...services.flatMap((s) => [certFile(s), keyFile(s)])].sort());
  });

  it('names: the service, localhost, 127.0.0.1 (and a specific bind address)', async () => {
    const { files } = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', full());
    assert.deepEqual(sans(files.get(certFile('redis-2'))!), ['DNS:localhost', 'DNS:redis-2', 'IP Address:127.0.0.1']);
    assert.deepEqual(sans(files.get(certFile('haproxy'))!), ['DNS:haproxy', 'DNS:localhost', 'IP Address:127.0.0.1']);
    const bound = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', full({ bind: '10.1.2.3' }));
    assert.deepEqual(sans(bound.files.get(certFile('sentinel-1'))!), ['DNS:localhost', 'DNS:sentinel-1', 'IP Address:10.1.2.3', 'IP Address:127.0.0.1']);
  });

  it('on swarm with swarm.nodes: the node a service is pinned to; HAProxy every node', () => {
    const t = full({ target: 'swarm', bind: '0.0.0.0', swarm: { nodes: ['n1', 'n2', 'n3'] } });
    const byService = new Map(certificateRequests(t).map((r) => [r.service, r]));
    assert.deepEqual(byService.get('redis-2')!.dnsNames, ['redis-2', 'localhost', 'n2']);
    assert.deepEqual(byService.get('sentinel-3')!.dnsNames, ['sentinel-3', 'localhost', 'n3']);
    assert.deepEqual(byService.get('haproxy')!.dnsNames, ['haproxy', 'localhost', 'n1', 'n2', 'n3']);
    assert.deepEqual(byService.get('redis-1')!.ipAddresses, ['127.0.0.1']);
  });

  it('no certificate without tls.enabled', async () => {
    const r = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', topologyOf('full'));
    assert.equal(r.files.size, 0);
    assert.deepEqual(certificateRequests(topologyOf('full')), []);
  });

  it('ECDSA P-256 keys, CA valid 10 years, services 825 days, a chain Node verifies, keys that match', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const { files } = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', full(), now);
    const ca = new X509Certificate(files.get(CA_CERT_FILE)!);
    assert.equal(ca.ca, true);
    assert.equal(ca.publicKey.asymmetricKeyType, 'ec');
    assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(Math.round((Date.parse(ca.validTo) - now.getTime()) / DAY), 3650);
    assert.ok(ca.checkPrivateKey(createPrivateKey(files.get(CA_KEY_FILE)!)));
    assert.ok(ca.verify(ca.publicKey), 'self-signed');
    for (const service of ['redis-1', 'sentinel-2', 'haproxy']) {
      const cert = new X509Certificate(files.get(certFile(service))!);
      assert.equal(cert.ca, false, service);
      assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), `${service} is signed by the CA`);
      assert.ok(cert.checkPrivateKey(createPrivateKey(files.get(keyFile(service))!)), `${service}: key matches`);
      assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.equal(Math.round((Date.parse(cert.validTo) - now.getTime()) / DAY), 825);
      assert.ok(Date.parse(cert.validFrom) < now.getTime(), 'valid from before now (clock skew)');
      assert.match(cert.subject, new RegExp(`CN=${service}`));
      assert.ok(cert.checkHost(service) && cert.checkIP('127.0.0.1') && cert.checkHost('localhost'));
      assert.equal(cert.checkHost('redis-9'), undefined);
      // Key usage and extended key usage, read with the issuing library's parser.
      const parsed = new x509.X509Certificate(files.get(certFile(service))!);
      const ku = parsed.getExtension(x509.KeyUsagesExtension)!;
      assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
      assert.ok(ku.critical);
      const eku = parsed.getExtension(x509.ExtendedKeyUsageExtension)!;
      assert.deepEqual([...eku.usages].sort(), [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth].sort());
      assert.equal(parsed.getExtension(x509.BasicConstraintsExtension)!.ca, false);
    }
    const caParsed = new x509.X509Certificate(files.get(CA_CERT_FILE)!);
    assert.equal(caParsed.getExtension(x509.KeyUsagesExtension)!.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(caParsed.getExtension(x509.BasicConstraintsExtension)!.pathLength, 0);
  });
});

describe('certificates: the host check of clients on swarm', () => {
  it("a node address no certificate names passes only when the certificate names one of the deployment's services", async () => {
    const t = full({ target: 'swarm', bind: '0.0.0.0' });
    const names = swarmServerNames(t)!;
    assert.deepEqual(names, certificateRequests(t).map((r) => r.service));
    assert.equal(swarmServerNames(full()), undefined, 'compose: the certificates name 127.0.0.1, the address clients dial');
    const { files } = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', t);
    const peer = (service: string) => new X509Certificate(files.get(certFile(service))!).toLegacyObject() as PeerCertificate;
    // Node's own check refuses the node address (what clients dial on swarm) ...
    assert.ok(checkServerIdentity('10.77.0.12', peer('redis-2')) instanceof Error);
    // ... the widened one takes it for a certificate of one of the services ...
    assert.equal(serviceIdentityCheck(names)('10.77.0.12', peer('redis-2')), undefined);
    assert.equal(serviceIdentityCheck(names)('10.77.0.12', peer('haproxy')), undefined);
    // ... and not for one naming none of them (another deployment's redis-2 is named the same:
    // what tells them apart is the CA, which the TLS handshake checks before this).
    assert.ok(serviceIdentityCheck(['redis-9', 'sentinel-9'])('10.77.0.12', peer('redis-2')) instanceof Error);
    // The host itself still counts.
    assert.equal(serviceIdentityCheck([])('127.0.0.1', peer('redis-2')), undefined);
  });
});

describe('certificates: later renders', () => {
  it('reuse every file as it is', () =>
    withTempDir(async (dir) => {
      const first = await loadOrCreateCertificates(dir, full());
      await writeTls(dir, first.files);
      const again = await loadOrCreateCertificates(dir, full());
      assert.deepEqual(again.issued, []);
      assert.deepEqual(again.files, first.files);
    }));

  it('issue only what the topology needs anew: a new replica, new names, one ending within 30 days', () =>
    withTempDir(async (dir) => {
      const now = new Date();
      const first = await loadOrCreateCertificates(dir, full(), now);
      await writeTls(dir, first.files);
      const more = await loadOrCreateCertificates(dir, full({ replicas: 3 }), now);
      assert.deepEqual(more.issued, ['redis-4']);
      assert.equal(more.files.get(CA_CERT_FILE), first.files.get(CA_CERT_FILE));
      const rebound = await loadOrCreateCertificates(dir, full({ bind: '10.1.2.3' }), now);
      assert.deepEqual(rebound.issued, ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3', 'haproxy'], 'the CA is kept');
      const late = await loadOrCreateCertificates(dir, full(), new Date(now.getTime() + 800 * DAY));
      assert.equal(late.issued.length, 7, '25 days left: every service certificate is renewed, the CA kept');
      const early = await loadOrCreateCertificates(dir, full(), new Date(now.getTime() + 700 * DAY));
      assert.deepEqual(early.issued, [], '125 days left: kept');
    }));

  it('re-issue a certificate that another CA signed or whose key does not match', () =>
    withTempDir(async (dir) => {
      const first = await loadOrCreateCertificates(dir, full());
      const other = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', full());
      first.files.set(certFile('redis-2'), other.files.get(certFile('redis-2'))!);
      first.files.set(keyFile('redis-3'), other.files.get(keyFile('redis-3'))!);
      await writeTls(dir, first.files);
      assert.deepEqual((await loadOrCreateCertificates(dir, full())).issued, ['redis-2', 'redis-3']);
    }));

  it('refuse a damaged CA instead of replacing it (clients trust it), saying what to do', () =>
    withTempDir(async (dir) => {
      const first = await loadOrCreateCertificates(dir, full());
      await writeTls(dir, first.files);
      await writeFile(join(dir, CA_KEY_FILE), (await loadOrCreateCertificates('/nonexistent-redis-ha-dir', full())).files.get(CA_KEY_FILE)!);
      await assert.rejects(loadOrCreateCertificates(dir, full()), (err: Error) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /tls\/ca\.crt.*cannot be used: not a CA, or not its key/);
        assert.match((err as UsageError).hint ?? '', /delete both/);
        return true;
      });
    }));
});

describe('certificates: read as kept (rotate-secrets)', () => {
  it('the files exactly as on disk, in the order render uses, none issued even within 30 days of the end', () =>
    withTempDir(async (dir) => {
      const now = new Date();
      const first = await loadOrCreateCertificates(dir, full(), new Date(now.getTime() - 800 * DAY));
      await writeTls(dir, first.files);
      const kept = await readCertificates(dir, full());
      assert.deepEqual([...kept.keys()], [...first.files.keys()]);
      assert.deepEqual(kept, first.files);
      assert.equal((await loadOrCreateCertificates(dir, full(), now)).issued.length, 7, 'a render would renew them');
      assert.equal((await readCertificates(dir, topologyOf('full'))).size, 0, 'nothing without TLS');
    }));

  it('a missing file is refused, naming it and the fix', () =>
    withTempDir(async (dir) => {
      await writeTls(dir, (await loadOrCreateCertificates(dir, full())).files);
      const { rm } = await import('node:fs/promises');
      await rm(join(dir, keyFile('sentinel-2')));
      await assert.rejects(readCertificates(dir, full()), (err: Error) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /speaks TLS, but .*tls\/sentinel-2\.key is missing/);
        assert.match((err as UsageError).hint ?? '', /render the deployment again/);
        return true;
      });
    }));

  it('a rotation and TLS in one render: both passwords and every TLS file; a secret is rewritten in place, a renewed key renamed like its certificate', () =>
    withTempDir(async (dir) => {
      const t = full();
      const tls = await loadOrCreateCertificates(dir, t);
      const NEW = 'n'.repeat(43);
      const files = synthesize(t, FIXED_SECRETS, { app: { phase: 'added', old: FIXED_SECRETS.app, new: NEW } }, tls.files);
      assert.equal(files.get(nextSecretPath('app')), `${NEW}\n`);
      for (const path of tls.files.keys()) assert.equal(files.get(path), tls.files.get(path), path);
      await writeDeployment(dir, files);
      const inode = async (f: string) => (await stat(join(dir, f))).ino;
      const before = { secret: await inode(secretPath('health')), key: await inode(keyFile('redis-1')) };
      const renewed = await loadOrCreateCertificates('/nonexistent-redis-ha-dir', t);
      const next = synthesize(t, { ...FIXED_SECRETS, health: 'h'.repeat(43) }, {}, new Map([...tls.files, [keyFile('redis-1'), renewed.files.get(keyFile('redis-1'))!]]));
      await writeDeployment(dir, next, { force: true });
      assert.equal(await inode(secretPath('health')), before.secret, 'secrets/health: same inode (the bind mounts see it)');
      assert.notEqual(await inode(keyFile('redis-1')), before.key, 'tls/redis-1.key: replaced by rename');
      assert.equal(await readFile(join(dir, keyFile('redis-1')), 'utf8'), renewed.files.get(keyFile('redis-1')));
    }));
});

describe('render --tls', () => {
  it('writes tls/ (mode 0700) with the keys as the secret files are written, keeps them on the next render, and ignores keys in git', () =>
    withTempDir(async (cwd) => {
      const file = await writeTopologyFile(cwd, 'preset: full\nname: tl-unit\n');
      const out = join(cwd, 'out');
      const first = await render({ file, out, tls: true }, { cwd });
      assert.deepEqual(first.certificatesIssued[0], 'CA');
      assert.equal((await stat(join(out, 'tls'))).mode & 0o777, 0o700);
      assert.equal((await stat(join(out, 'secrets'))).mode & 0o777, 0o700);
      for (const f of ['tls/ca.crt', 'tls/ca.key', 'tls/redis-1.key', 'tls/haproxy.crt']) {
        assert.equal((await stat(join(out, f))).mode & 0o777, 0o644, f);
      }
      assert.match(await readFile(join(out, '.gitignore'), 'utf8'), /^tls\/\*\.key$/m);
      assert.ok((await readManifest(out))!.includes('tls/redis-1.key'));
      const second = await render({ file, out, tls: true }, { cwd });
      assert.deepEqual(second.certificatesIssued, []);
      assert.ok(second.files.unchanged.includes('tls/ca.crt') && !second.files.written.some((f) => f.startsWith('tls/')));
      // Turned off: the TLS files go with the rest of what this render no longer makes.
      const off = await render({ file, out, tls: false }, { cwd });
      assert.ok(off.files.removed.includes('tls/ca.key'));
    }));
});

describe('status: certificate expiry', () => {
  it('days left per certificate, read from tls/: the CA and every service', () =>
    withTempDir(async (dir) => {
      const now = new Date();
      await writeTls(dir, (await loadOrCreateCertificates(dir, full(), now)).files);
      const expiry = await readCertificateExpiry(dir, full());
      assert.deepEqual(expiry.map((e) => e.name), ['CA', 'redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3', 'haproxy']);
      const { certificates, check } = checkCertificates(expiry, now);
      assert.equal(certificates[0]!.daysLeft, 3649);
      assert.equal(certificates[1]!.daysLeft, 824);
      assert.ok(check.ok && !certificates.some((c) => c.warning));
      assert.match(check.detail, /^8 valid, the first to end: redis-1 in 824 days$/);
      assert.deepEqual(await readCertificateExpiry(dir, topologyOf('full')), [], 'nothing without TLS');
    }));

  it('a warning under 30 days (still healthy); expired is a failed check naming the fix', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const certs = [
      { name: 'CA', file: 'tls/ca.crt', notAfter: '2039-01-01T00:00:00.000Z' },
      { name: 'redis-1', file: 'tls/redis-1.crt', notAfter: '2030-01-20T00:00:00.000Z' },
    ];
    const soon = checkCertificates(certs, now);
    assert.equal(soon.certificates[1]!.daysLeft, 19);
    assert.ok(soon.certificates[1]!.warning && !soon.certificates[0]!.warning);
    assert.ok(soon.check.ok);
    assert.match(soon.check.detail, /^warning: redis-1 ends in 19 days; run `redis-ha deploy` again to renew$/);
    const text = stripVTControlCharacters(formatStatus({ ...EMPTY_SNAPSHOT, certificates: soon.certificates, checks: [soon.check] }));
    assert.match(text, /Certificates \(TLS\):\n.*CA +until 2039-01-01, 3287 days left.*\n *! redis-1 +until 2030-01-20, 19 days left/);
    assert.match(text, /! certificates +warning: redis-1 ends in 19 days/);
    assert.match(text, /Container healthchecks \(docker ps\) run every 10 s once a container is up/);
    const late = checkCertificates(certs, new Date('2030-02-01T00:00:00Z'));
    assert.equal(late.check.ok, false);
    assert.match(late.check.detail, /^expired: redis-1 \(2030-01-20\); run `redis-ha deploy` again/);
  });
});

const EMPTY_SNAPSHOT = {
  deployment: 'tl-unit',
  preset: 'full',
  takenAt: '2030-01-01T00:00:00Z',
  containerHealthcheckIntervalMs: 10000,
  healthy: true,
  containers: [],
  nodes: [],
  sentinels: [],
  natMap: {},
  drift: [],
  checks: [],
};

describe('hostAddress: where this machine reaches a remote engine\'s published ports', () => {
  it('probes, snippets and client modules dial it; the certificates name it (a DNS name or an IP)', () => {
    const dind = topologyOf('full', { bind: '0.0.0.0', hostAddress: 'docker', tls: { enabled: true } });
    assert.equal(probeHost(dind), 'docker');
    assert.equal(probeHost(topologyOf('full', { bind: '0.0.0.0' })), '127.0.0.1');
    for (const r of certificateRequests(dind)) assert.ok(r.dnsNames.includes('docker'), `${r.service} names docker`);
    const byIp = certificateRequests(topologyOf('sentinel', { hostAddress: '10.1.2.3', tls: { enabled: true } }));
    for (const r of byIp) assert.deepEqual(r.ipAddresses, ['127.0.0.1', '10.1.2.3']);
  });

  it('refuses what is neither a host name nor an IP address', async () => {
    const { problems } = await problemsOf({ preset: 'sentinel', overrides: [{ path: 'hostAddress', value: 'not a host!', flag: '--host-address' }] });
    assert.ok(problems.some((p) => p.path === 'hostAddress' && /host name or an IP address/.test(p.message)), JSON.stringify(problems));
  });
});
