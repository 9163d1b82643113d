// The printed ioredis snippet is generated from the option table test-failover measures
// with: evaluated as a user would paste it, it builds exactly sentinelClientOptions().
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkServerIdentity } from 'node:tls';
import { SentinelConnector } from 'ioredis';
import { QuietSentinelConnector, sentinelClientOptions } from '../../src/probes/sentinel-client.js';
import { NO_AUTH } from '../../src/probes/connect.js';
import { jsSource, snippets } from '../../src/report/snippets.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { topologyOf } from '../helpers/topology.js';

const IMPORT = "import Redis, { SentinelConnector } from 'ioredis';";

/** Runs the snippet with a Redis that records its options and listeners instead of connecting. */
function evaluate(snippet: string, globals: Record<string, unknown> = {}): { options: Record<string, unknown>; events: string[]; release: unknown } {
  const [first, ...rest] = snippet.split('\n');
  assert.equal(first, IMPORT);
  const made: { options: Record<string, unknown>; events: string[] }[] = [];
  class RecordingRedis {
    events: string[] = [];
    constructor(options: Record<string, unknown>) {
      made.push({ options, events: this.events });
    }
    on(event: string) {
      this.events.push(event);
      return this;
    }
  }
  const run = new Function('Redis', 'SentinelConnector', ...Object.keys(globals), `${rest.join('\n')}\nreturn release;`) as (...a: unknown[]) => unknown;
  const release = run(RecordingRedis, SentinelConnector, ...Object.values(globals));
  assert.equal(made.length, 1, 'the snippet creates one client');
  return { ...made[0]!, release };
}

describe('ioredis snippet', () => {
  for (const [label, overrides, auth] of [
    ['sentinel, auth', {}, { username: 'app', password: "s3cr'et\\x" }],
    ['full, 5 Sentinels, no auth', { sentinel: { count: 5, quorum: 3 }, auth: { enabled: false } }, NO_AUTH],
  ] as const) {
    it(`evaluated, yields the options test-failover measures with (${label})`, () => {
      const t = topologyOf(label.startsWith('full') ? 'full' : 'sentinel', { portBase: 8000, ...overrides });
      const { options, events, release } = evaluate(snippets(t, auth, true).ioredis!);
      const expected = sentinelClientOptions(t, auth) as Record<string, unknown>;
      assert.deepEqual(Object.keys(options), Object.keys(expected));
      for (const [key, want] of Object.entries(expected)) {
        const got = options[key];
        if (typeof want === 'function') {
          assert.equal(typeof got, 'function', key);
          assert.equal(String(got), String(want), `${key}: same source`);
        } else {
          assert.deepEqual(got, want, key);
        }
      }
      // Same behaviour, not only the same text.
      const fn = (o: Record<string, unknown>, k: string) => o[k] as (x: unknown) => unknown;
      for (const k of ['retryStrategy', 'sentinelRetryStrategy', 'sentinelReconnectStrategy']) {
        for (const times of [1, 2, 3, 10, 100]) assert.equal(fn(options, k)(times), fn(expected, k)(times), `${k}(${times})`);
      }
      for (const msg of ['READONLY You can\'t write against a read only replica.', 'ERR other']) {
        assert.equal(fn(options, 'reconnectOnError')(new Error(msg)), fn(expected, 'reconnectOnError')(new Error(msg)));
      }
      // The connector class of the snippet is a SentinelConnector that listens for errors.
      assert.equal((options.Connector as { name: string }).name, QuietSentinelConnector.name);
      assert.ok((options.Connector as { prototype: unknown }).prototype instanceof SentinelConnector);
      // An error listener, and keepConnected's 'end' listener with its release function.
      assert.deepEqual(events.sort(), ['end', 'error']);
      assert.equal(typeof release, 'function');
    });
  }

  it('with TLS: tls and sentinelTLS read the CA from <out>/tls/ca.crt, enableTLSForSentinelMode; redis-py and redis-cli trust it too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-ha-snippet-'));
    try {
      const caFile = join(dir, 'ca.crt');
      const ca = '-----BEGIN CERTIFICATE-----\nfixed\n-----END CERTIFICATE-----\n';
      writeFileSync(caFile, ca);
      const t = topologyOf('full', { tls: { enabled: true } });
      const auth = { username: 'app', password: 'pw', tls: { ca, caFile } };
      const printed = snippets(t, auth, true);
      const [first, second, ...rest] = printed.ioredis!.split('\n');
      assert.equal(first, IMPORT);
      assert.equal(second, "import { readFileSync } from 'node:fs';");
      assert.match(printed.ioredis!, new RegExp(`tls: \\{ ca: readFileSync\\(${JSON.stringify(caFile).replace(/[.]/g, '\\.')}\\) \\}`));
      const { options } = evaluate([first, ...rest].join('\n'), { readFileSync });
      const expected = sentinelClientOptions(t, auth) as Record<string, unknown>;
      assert.deepEqual(Object.keys(options), Object.keys(expected));
      for (const key of ['tls', 'sentinelTLS']) {
        assert.equal(String((options[key] as { ca: Buffer }).ca), ca, `${key}: the CA file's text`);
        assert.deepEqual(expected[key], { ca }, `${key} in the options test-failover uses`);
      }
      assert.equal(options.enableTLSForSentinelMode, true);
      assert.equal(expected.enableTLSForSentinelMode, true);
      assert.match(printed.redisPy!, new RegExp(`sentinel_kwargs=\\{"username": "app", "password": "pw", "ssl": True, "ssl_ca_certs": ${JSON.stringify(caFile).replace(/[.]/g, '\\.')}, "ssl_check_hostname": True\\}`));
      assert.match(printed.redisPy!, /\n\s+ssl=True, ssl_ca_certs="[^"]+ca\.crt", ssl_check_hostname=True, username="app"/);
      assert.match(printed.redisCli, new RegExp(`^redis-cli -h 127\\.0\\.0\\.1 -p 7200 --tls --cacert ${caFile.replace(/[.]/g, '\\.')} --user app`));
      // Without TLS none of it.
      const plain = snippets(topologyOf('full'), { username: 'app', password: 'pw' }, true);
      assert.ok(!/tls|ssl|readFileSync/i.test(`${plain.ioredis}${plain.redisPy}${plain.redisCli}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with TLS on swarm: the certificate must name one of the services (natMap leads to node addresses); redis-py checks the chain only', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nfixed\n-----END CERTIFICATE-----\n';
    const t = topologyOf('sentinel', { tls: { enabled: true }, target: 'swarm', bind: '0.0.0.0' });
    const serverNames = ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3'];
    const auth = { username: 'app', password: 'pw', tls: { ca, caFile: '/x/tls/ca.crt', serverNames } };
    const printed = snippets(t, auth, true, (s) => `10.0.0.${s.endsWith('1') ? 1 : 2}`);
    const [first, second, third, ...rest] = printed.ioredis!.split('\n');
    assert.equal(second, "import { readFileSync } from 'node:fs';");
    assert.equal(third, "import { checkServerIdentity } from 'node:tls';");
    const { options } = evaluate([first, ...rest].join('\n'), { readFileSync: () => ca, checkServerIdentity });
    const check = (options.tls as { checkServerIdentity: (h: string, c: unknown) => unknown }).checkServerIdentity;
    const expected = (sentinelClientOptions(t, auth) as { tls: { checkServerIdentity: (h: string, c: unknown) => unknown } }).tls.checkServerIdentity;
    // Printed and used agree on certificates that name a service, a node address, or nothing known.
    const cert = (names: string) => ({ subject: { CN: names.split(',')[0]! }, subjectaltname: names });
    for (const c of [cert('DNS:redis-2, DNS:localhost, IP Address:127.0.0.1'), cert('DNS:evil'), cert('IP Address:10.0.0.2')]) {
      assert.equal(check('10.0.0.2', c) === undefined, expected('10.0.0.2', c) === undefined, c.subjectaltname);
    }
    assert.equal(check('10.0.0.2', cert('DNS:redis-2')), undefined);
    assert.ok(check('10.0.0.2', cert('DNS:evil')) instanceof Error);
    assert.match(printed.redisPy!, /"ssl_check_hostname": False/);
    assert.match(printed.redisPy!, /ssl_check_hostname=False, username/);
  });

  it('masks the password unless asked, in both snippets', () => {
    const t = topologyOf('sentinel');
    const masked = snippets(t, { username: 'app', password: 's3cret' }, false);
    assert.ok(!masked.ioredis!.includes('s3cret') && !masked.redisPy!.includes('s3cret'));
    assert.equal(evaluate(masked.ioredis!).options.password, '********');
  });

  it('its import line resolves against the installed ioredis, as pasted into an ES module', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${IMPORT}\nconsole.log(typeof Redis, typeof SentinelConnector);`], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(r.stdout.trim(), 'function function', r.stderr);
  });

  it('prints JavaScript literals for the table values', () => {
    assert.equal(jsSource("it's"), "'it\\'s'");
    assert.equal(jsSource({ 'a:1': { host: 'h', port: 1 } }), "{\n  'a:1': { host: 'h', port: 1 },\n}");
    assert.equal(jsSource([1, true, undefined]), '[1, true, undefined]');
  });
});
