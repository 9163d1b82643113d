// Fixed secrets for tests that need a deterministic render (golden files, real-tool checks).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology } from '../../src/model/schema.js';
import { SECRET_NAMES, type Secrets } from '../../src/synth/secrets.js';
import { REPO_ROOT } from './repo.js';
import { CA_CERT_FILE, CA_KEY_FILE, certFile, certificateRequests, keyFile, type TlsFiles } from '../../src/synth/tls.js';

/** `<name>-secret-` padded to 40 characters: each user's secret differs and is easy to grep for. */
export const FIXED_SECRETS = Object.fromEntries(
  SECRET_NAMES.map((n) => [n, `${n}-secret-`.padEnd(40, 'x')]),
) as Secrets;

/**
 * A real, fixed certificate (self-signed, ends 2126-11-12; test/fixtures/tls/fixed-test.crt):
 * render reads when certificates end (the alert rule RedisCertificateExpiresSoon).
 */
const FIXED_CERTIFICATE = readFileSync(join(REPO_ROOT, 'test/fixtures/tls/fixed-test.crt'), 'utf8');

/**
 * Fixed stand-ins for the TLS files of `t` (real certificates are random): every certificate the
 * one fixed certificate above, the keys text. Enough for a golden comparison, not for a real
 * tool. Tests that start real servers issue real certificates (loadOrCreateCertificates).
 */
export function fixedTlsFiles(t: Topology): TlsFiles {
  const pem = (label: string, what: string) => `-----BEGIN ${label}-----\nfixed test ${what}\n-----END ${label}-----\n`;
  const files: TlsFiles = new Map([
    [CA_CERT_FILE, FIXED_CERTIFICATE],
    [CA_KEY_FILE, pem('PRIVATE KEY', 'CA key')],
  ]);
  for (const { service } of certificateRequests(t)) {
    files.set(certFile(service), FIXED_CERTIFICATE);
    files.set(keyFile(service), pem('PRIVATE KEY', `key of ${service}`));
  }
  return files;
}
