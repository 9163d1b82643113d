// The deployment's TLS material: a private CA and one certificate per service, issued on the
// first render and reused by later ones (like the secrets). Issued with @peculiar/x509 on
// Node's WebCrypto (pure TypeScript, no native build; Node's own crypto can parse and verify
// certificates but not issue them). ECDSA P-256 keys: a handshake costs a fraction of an RSA
// 2048 one (every healthcheck, HAProxy check and probe makes one), and OpenSSL (Redis,
// HAProxy), Go (redis_exporter), Node and Python all take them.
import { webcrypto, X509Certificate, createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { readText } from './writer.js';
import type { Topology } from '../model/schema.js';
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  CA_VALIDITY_DAYS,
  certFile,
  certificateRequests,
  type CertificateRequest,
  keyFile,
  LEAF_VALIDITY_DAYS,
  RENEW_BEFORE_DAYS,
  type TlsFiles,
} from '../synth/tls.js';

let x509Module: Promise<typeof import('@peculiar/x509')> | undefined;
/** @peculiar/x509, loaded when a certificate is issued (only with TLS): it costs every other command 0.2 s to start. */
const loadX509 = () =>
  (x509Module ??= (async () => {
    // @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API first.
    await import('reflect-metadata');
    // The CommonJS module's exports object: `default` under Node's import() and bundled alike.
    const x509 = (await import('@peculiar/x509')).default;
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })());

const DAY_MS = 86_400_000;
const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** PEM text ending in a newline: files that are joined (HAProxy's cert + key) stay valid PEM. */
const pemText = (pem: string) => (pem.endsWith('\n') ? pem : `${pem}\n`);

const toPkcs8Pem = async (key: CryptoKey) =>
  pemText((await loadX509()).PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey), 'PRIVATE KEY'));

async function importSigningKey(pem: string): Promise<CryptoKey> {
  const x509 = await loadX509();
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new Error('no PEM block');
  return (await webcrypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign'])) as unknown as CryptoKey;
}

/** Backdated by an hour: a container whose clock is a little behind the host's still accepts it. */
const validity = (days: number, now: Date) => ({
  notBefore: new Date(now.getTime() - 3_600_000),
  notAfter: new Date(now.getTime() + days * DAY_MS),
});

const serial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');

async function issueCa(name: string, now: Date): Promise<{ cert: string; key: string }> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=redis-ha CA for ${name}`,
    ...validity(CA_VALIDITY_DAYS, now),
    keys: keys as unknown as CryptoKeyPair,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as CryptoKey),
    ],
  });
  return { cert: pemText(cert.toString('pem')), key: await toPkcs8Pem(keys.privateKey as unknown as CryptoKey) };
}

async function issueLeaf(
  request: CertificateRequest,
  ca: { cert: string; key: string },
  now: Date,
): Promise<{ cert: string; key: string }> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.cert);
  const keys = await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${request.service}`,
    issuer: caCert.subject,
    ...validity(LEAF_VALIDITY_DAYS, now),
    publicKey: keys.publicKey as unknown as CryptoKey,
    signingKey: await importSigningKey(ca.key),
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // serverAuth: the service's own port; clientAuth: Redis presents the same certificate
      // when it connects out as a replica, and Sentinel to the nodes and its peers.
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...request.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...request.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as CryptoKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: pemText(cert.toString('pem')), key: await toPkcs8Pem(keys.privateKey as unknown as CryptoKey) };
}

/** The SANs of a certificate as Node prints them, sorted: "DNS:redis-1, IP Address:127.0.0.1". */
const sanSet = (names: string[], ips: string[]) =>
  [...names.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP Address:${ip}`)].sort().join(', ');
const sansOf = (cert: X509Certificate) =>
  (cert.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .sort()
    .join(', ');

/** True when the kept certificate and key can be served as they are. */
function reusable(request: CertificateRequest, ca: X509Certificate, certPem: string, keyPem: string, now: Date): boolean {
  try {
    const cert = new X509Certificate(certPem);
    return (
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(keyPem)) &&
      sansOf(cert) === sanSet(request.dnsNames, request.ipAddresses) &&
      new Date(cert.validTo).getTime() - now.getTime() > RENEW_BEFORE_DAYS * DAY_MS
    );
  } catch {
    return false;
  }
}

export interface TlsMaterial {
  files: TlsFiles;
  /** What this render issued ("CA", service names); empty when everything was reused. */
  issued: string[];
}

/**
 * The TLS files of `t` from <dir>/tls/: the kept CA and certificates where they are still
 * good (issued by the kept CA, the names the topology needs now, more than 30 days left, the
 * key matching), new ones otherwise. A new CA re-issues every certificate, and clients must
 * then be handed the new ca.crt: so a kept CA that cannot be read is an error, not replaced.
 */
export async function loadOrCreateCertificates(dir: string, t: Topology, now = new Date()): Promise<TlsMaterial> {
  const files: TlsFiles = new Map();
  const issued: string[] = [];
  if (!t.tls.enabled) return { files, issued };

  const keptCert = await readText(join(dir, CA_CERT_FILE));
  const keptKey = await readText(join(dir, CA_KEY_FILE));
  let ca: { cert: string; key: string };
  if (keptCert !== undefined || keptKey !== undefined) {
    try {
      const cert = new X509Certificate(keptCert ?? '');
      if (!cert.ca || !cert.checkPrivateKey(createPrivateKey(keptKey ?? ''))) throw new Error('not a CA, or not its key');
      if (new Date(cert.validTo).getTime() <= now.getTime()) throw new Error(`expired on ${cert.validTo}`);
    } catch (err) {
      throw new UsageError(
        `the deployment's CA (${join(dir, CA_CERT_FILE)}, ${join(dir, CA_KEY_FILE)}) cannot be used: ${(err as Error).message}`,
        'restore both files, or delete both to have a new CA issued at the next render (clients then need the new ca.crt)',
      );
    }
    ca = { cert: keptCert!, key: keptKey! };
  } else {
    ca = await issueCa(t.name, now);
    issued.push('CA');
  }
  files.set(CA_CERT_FILE, ca.cert);
  files.set(CA_KEY_FILE, ca.key);

  const caCert = new X509Certificate(ca.cert);
  for (const request of certificateRequests(t)) {
    const cert = await readText(join(dir, certFile(request.service)));
    const key = await readText(join(dir, keyFile(request.service)));
    let leaf = cert !== undefined && key !== undefined && reusable(request, caCert, cert, key, now) ? { cert, key } : undefined;
    if (!leaf) {
      leaf = await issueLeaf(request, ca, now);
      issued.push(request.service);
    }
    files.set(certFile(request.service), leaf.cert);
    files.set(keyFile(request.service), leaf.key);
  }
  return { files, issued };
}

/**
 * The TLS files of `t` exactly as kept in <dir>/tls/, none issued or renewed: for rewriting the
 * files of a running deployment (`rotate-secrets`) without touching its certificates. Same
 * order as loadOrCreateCertificates.
 */
export async function readCertificates(dir: string, t: Topology): Promise<TlsFiles> {
  const files: TlsFiles = new Map();
  if (!t.tls?.enabled) return files;
  const paths = [CA_CERT_FILE, CA_KEY_FILE, ...certificateRequests(t).flatMap((r) => [certFile(r.service), keyFile(r.service)])];
  for (const path of paths) {
    const text = await readText(join(dir, path));
    if (text === undefined) {
      throw new UsageError(
        `the deployment speaks TLS, but ${join(dir, path)} is missing`,
        'render the deployment again (`redis-ha render` or `deploy`) to restore it, then run the command again',
      );
    }
    files.set(path, text);
  }
  return files;
}

export interface CertificateExpiry {
  /** "CA" or the service the certificate is for. */
  name: string;
  file: string;
  /** ISO time the certificate ends. */
  notAfter: string;
}

/** When each certificate in <dir>/tls/ ends (the CA first), for `status`. None without TLS. */
export async function readCertificateExpiry(dir: string, t: Topology): Promise<CertificateExpiry[]> {
  if (!t.tls?.enabled) return [];
  const wanted = [{ name: 'CA', file: CA_CERT_FILE }, ...certificateRequests(t).map((r) => ({ name: r.service, file: certFile(r.service) }))];
  const out: CertificateExpiry[] = [];
  for (const { name, file } of wanted) {
    const pem = await readText(join(dir, file));
    if (pem === undefined) throw new UsageError(`the certificate of ${name} is missing (${join(dir, file)})`, 'render the deployment again (`redis-ha render` or `deploy`) to issue it');
    out.push({ name, file, notAfter: new Date(new X509Certificate(pem).validTo).toISOString() });
  }
  return out;
}
