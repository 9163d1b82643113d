// synthesize(): targeted assertions on single fields of the rendered files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { PresetName } from '../../src/model/schema.js';
import type { ComposeFile, EngineFeatures } from '../../src/synth/compose.js';
import { sentinelId } from '../../src/synth/configs.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { aclHash, SECRET_NAMES } from '../../src/synth/secrets.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { topologyOf } from '../helpers/topology.js';

function render(preset: PresetName, overrides: Record<string, unknown> = {}, features?: EngineFeatures) {
  return synthesize(topologyOf(preset, overrides), FIXED_SECRETS, {}, undefined, features);
}

function fileOf(files: Map<string, string>, path: string): string {
  const content = files.get(path);
  assert.ok(content !== undefined, `${path} is rendered (have: ${[...files.keys()].join(', ')})`);
  return content;
}

const composeOf = (files: Map<string, string>) => parse(fileOf(files, 'compose.yaml')) as ComposeFile;
/** Config lines that are not comments or blank. */
const directives = (conf: string) =>
  conf
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

describe('compose: services', () => {
  it('full: redis-1..N, sentinel-1..N, haproxy, exporter, prometheus and nothing else', () => {
    const compose = composeOf(render('full', { replicas: 3, sentinel: { count: 5, quorum: 3 } }));
    assert.deepEqual(Object.keys(compose.services), [
      'redis-1',
      'redis-2',
      'redis-3',
      'redis-4',
      'sentinel-1',
      'sentinel-2',
      'sentinel-3',
      'sentinel-4',
      'sentinel-5',
      'haproxy',
      'exporter',
      'prometheus',
    ]);
  });

  it('basic: only the redis nodes', () => {
    assert.deepEqual(Object.keys(composeOf(render('basic')).services), ['redis-1', 'redis-2', 'redis-3']);
  });

  it('every port is published on 127.0.0.1 by default', () => {
    const compose = composeOf(render('full'));
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    // Redis, Sentinels, HAProxy, Prometheus; the exporter publishes none.
    assert.equal(ports.length, 3 + 3 + 3 + 1);
    for (const p of ports) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/);
    assert.equal(compose.services.exporter!.ports, undefined);
  });

  it('published host ports follow portBase (redis-i -> base+i, sentinel-i -> base+100+i)', () => {
    const compose = composeOf(render('sentinel', { portBase: 8000 }));
    assert.deepEqual(compose.services['redis-2']?.ports, ['127.0.0.1:8002:6379']);
    assert.deepEqual(compose.services['sentinel-3']?.ports, ['127.0.0.1:8103:26379']);
  });

  it('ports are published on the configured bind address', () => {
    const compose = composeOf(render('basic', { bind: '10.0.0.5' }));
    assert.deepEqual(compose.services['redis-1']?.ports, ['10.0.0.5:7001:6379']);
  });
});

describe('compose: volumes and mounts', () => {
  it('each redis and sentinel node has its own named volume mounted at /data', () => {
    const compose = composeOf(render('sentinel'));
    for (const name of ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3']) {
      const dataMounts = (compose.services[name]?.volumes ?? []).filter((v) => v.endsWith(':/data'));
      assert.deepEqual(dataMounts, [`${name}-data:/data`], name);
      assert.ok(compose.volumes[`${name}-data`], `volume ${name}-data is declared`);
    }
  });

  it('each node mounts its config read-only; Sentinels and HAProxy the directory (a live change must show in it)', () => {
    const compose = composeOf(render('full'));
    assert.ok(compose.services['redis-2']?.volumes?.includes('./redis/redis-2.conf:/usr/local/etc/redis-ha/redis.conf:ro'));
    assert.ok(compose.services['sentinel-3']?.volumes?.includes('./sentinel:/usr/local/etc/redis-ha/sentinel:ro'));
    assert.deepEqual(compose.services.haproxy?.volumes, ['./haproxy:/usr/local/etc/redis-ha/haproxy:ro', './scripts:/usr/local/etc/redis-ha/scripts:ro']);
  });

  it('config hashes: a Sentinel setting or a new replica re-creates no Sentinel; an image change re-creates', () => {
    const hashes = (c: ReturnType<typeof composeOf>) =>
      Object.fromEntries(Object.entries(c.services).map(([name, s]) => [name, s.labels['io.redis-ha.config-hash']]));
    const base = hashes(composeOf(render('full')));
    const fast = hashes(composeOf(render('full', { profile: 'fast', sentinel: { quorum: 1, parallelSyncs: 2 } })));
    for (const s of ['sentinel-1', 'sentinel-2', 'sentinel-3', 'redis-1', 'redis-2', 'haproxy']) assert.equal(fast[s], base[s], s);
    const more = hashes(composeOf(render('full', { replicas: 3 })));
    for (const s of ['sentinel-1', 'sentinel-2', 'redis-1', 'redis-2', 'haproxy']) assert.equal(more[s], base[s], s);
    const maxmemory = hashes(composeOf(render('full', { redis: { maxmemory: '512mb' } })));
    assert.notEqual(maxmemory['redis-2'], base['redis-2']);
    assert.equal(maxmemory['sentinel-1'], base['sentinel-1']);
    const image = hashes(composeOf(render('full', { haproxy: { image: 'haproxy:2.8' } })));
    assert.notEqual(image.haproxy, base.haproxy);
  });

  it('every bind mount (source starting with ./) is read-only', () => {
    const compose = composeOf(render('full'));
    const binds = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).filter((v) => v.startsWith('./')));
    assert.ok(binds.length > 0);
    for (const b of binds) assert.match(b, /:ro$/, b);
  });

  it('every mounted file is one synthesize() renders', () => {
    const files = render('full');
    const compose = composeOf(files);
    for (const v of Object.values(compose.services).flatMap((s) => s.volumes ?? [])) {
      if (!v.startsWith('./')) continue;
      const source = v.slice(2).split(':')[0]!;
      assert.ok(
        files.has(source) || [...files.keys()].some((k) => k.startsWith(`${source}/`)),
        `${source} (mounted by compose) is rendered`,
      );
    }
  });
});

describe('compose: start order and health', () => {
  it('one wave: no service waits for another (no depends_on)', () => {
    const compose = composeOf(render('full', { replicas: 4 }));
    for (const [name, s] of Object.entries(compose.services)) assert.ok(!('depends_on' in s), name);
  });

  it('redis nodes start together (no depends_on); a first-start replica attaches by REPLICAOF and is unhealthy until then', () => {
    const files = render('basic');
    const compose = composeOf(files);
    for (const n of ['redis-1', 'redis-2', 'redis-3']) assert.ok(compose.services[n] && !('depends_on' in compose.services[n]), n);
    assert.match(files.get('scripts/redis-start.sh')!, /REPLICAOF \$attach/);
    // (what the scripts do with it: test/unit/container-scripts.test.ts)
    assert.match(files.get('scripts/redis-health.sh')!, /\.redis-ha-attaching\b[\s\S]*exit 1/);
  });

  it('every node is told how many Sentinels the deployment has (the scripts follow a majority of all)', () => {
    const compose = composeOf(render('sentinel', { sentinel: { count: 5, quorum: 3 } }));
    for (const n of ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-5']) {
      assert.equal(compose.services[n]?.environment?.SENTINEL_COUNT, '5', n);
    }
    // A Sentinel asks its 4 peers, and counts itself among the 5.
    assert.equal(compose.services['sentinel-2']?.environment?.SENTINELS, 'sentinel-1 sentinel-3 sentinel-4 sentinel-5');
    assert.equal(composeOf(render('basic')).services['redis-1']?.environment?.SENTINEL_COUNT, '0');
  });

  it('Redis containers restart by themselves, except without persistence (an empty master would empty its replicas)', () => {
    assert.equal(composeOf(render('sentinel')).services['redis-1']?.restart, 'unless-stopped');
    const none = composeOf(render('sentinel', { redis: { persistence: 'none' } }));
    assert.equal(none.services['redis-1']?.restart, 'no');
    assert.equal(none.services['sentinel-1']?.restart, 'unless-stopped');
  });

  it('healthchecks run every minute at rest; fast (start_interval) only during the start period, and only for engines that take it', () => {
    for (const features of [undefined, { healthcheckStartInterval: false }, { healthcheckStartInterval: true }]) {
      const compose = composeOf(render('full', {}, features));
      const withHealth = Object.entries(compose.services).filter(([, s]) => s.healthcheck);
      assert.ok(withHealth.length >= 6);
      for (const [name, s] of withHealth) {
        assert.equal(s.healthcheck!.interval, '60s', name);
        assert.equal(s.healthcheck!.start_period, '30s', name);
        assert.equal(s.healthcheck!.start_interval, features?.healthcheckStartInterval ? '1s' : undefined, name);
      }
    }
  });

  it('healthcheckIntervalMs sets the interval; below 10 s it is refused, saying why', () => {
    const compose = composeOf(render('basic', { healthcheckIntervalMs: 12500 }));
    assert.equal(compose.services['redis-1']?.healthcheck?.interval, '12500ms');
    assert.throws(() => topologyOf('basic', { healthcheckIntervalMs: 250 }), /gate nothing at start/);
  });
});

describe('redis.conf', () => {
  it('min-replicas-to-write 1 in sentinel and full', () => {
    for (const preset of ['sentinel', 'full'] as const) {
      const files = render(preset);
      for (const node of ['redis-1', 'redis-2', 'redis-3']) {
        const lines = directives(fileOf(files, `redis/${node}.conf`));
        assert.ok(lines.includes('min-replicas-to-write 1'), `${preset} ${node}`);
        assert.ok(lines.includes('min-replicas-max-lag 10'), `${preset} ${node}`);
      }
    }
  });

  it('no min-replicas-to-write in basic', () => {
    const files = render('basic');
    for (const node of ['redis-1', 'redis-2', 'redis-3']) {
      assert.ok(!directives(fileOf(files, `redis/${node}.conf`)).some((l) => l.startsWith('min-replicas')), node);
    }
  });

  it('repl-diskless-sync-delay 0', () => {
    assert.ok(directives(fileOf(render('sentinel'), 'redis/redis-2.conf')).includes('repl-diskless-sync-delay 0'));
  });

  it('redis-1 has no replicaof; the others replicate redis-1', () => {
    const files = render('basic');
    assert.ok(!directives(fileOf(files, 'redis/redis-1.conf')).some((l) => l.startsWith('replicaof')));
    assert.ok(directives(fileOf(files, 'redis/redis-3.conf')).includes('replicaof redis-1 6379'));
  });

  it('each node announces its own service name', () => {
    assert.ok(directives(fileOf(render('basic'), 'redis/redis-2.conf')).includes('replica-announce-ip redis-2'));
  });

  it('persistence rdb sets appendonly no and save points', () => {
    const lines = directives(fileOf(render('basic', { redis: { persistence: 'rdb' } }), 'redis/redis-1.conf'));
    assert.ok(lines.includes('appendonly no'));
    assert.ok(lines.includes('save 3600 1 300 100 60 10000'));
  });

  it('extraConfig lines are appended verbatim', () => {
    const lines = directives(fileOf(render('basic', { redis: { extraConfig: ['hz 50'] } }), 'redis/redis-1.conf'));
    assert.equal(lines.at(-1), 'hz 50');
  });
});

describe('sentinel.conf', () => {
  it('resolve-hostnames and announce-hostnames are on', () => {
    const lines = directives(fileOf(render('sentinel'), 'sentinel/sentinel-2.conf'));
    assert.ok(lines.includes('sentinel resolve-hostnames yes'));
    assert.ok(lines.includes('sentinel announce-hostnames yes'));
    assert.ok(lines.includes('sentinel announce-ip sentinel-2'));
  });

  it('monitors redis-1 with the quorum', () => {
    const lines = directives(fileOf(render('sentinel', { sentinel: { count: 5, quorum: 3 } }), 'sentinel/sentinel-1.conf'));
    assert.ok(lines.includes('sentinel monitor mymaster redis-1 6379 3'));
  });

  it('myid is 40 hex digits, stable for the same input and distinct per node and deployment', () => {
    const myid = (files: Map<string, string>, node: string) =>
      directives(fileOf(files, `sentinel/${node}.conf`))
        .find((l) => l.startsWith('sentinel myid '))
        ?.split(' ')[2];
    const first = myid(render('sentinel'), 'sentinel-1');
    assert.match(first ?? '', /^[0-9a-f]{40}$/);
    assert.equal(myid(render('sentinel'), 'sentinel-1'), first);
    assert.notEqual(myid(render('sentinel'), 'sentinel-2'), first);
    assert.notEqual(myid(render('sentinel', { name: 'other' }), 'sentinel-1'), first);
    assert.equal(first, sentinelId('redis-ha', 'sentinel-1'));
  });

  it('known-sentinel lines name every peer (not itself) with the id the peer uses', () => {
    const files = render('sentinel', { sentinel: { count: 5, quorum: 3 } });
    const known = directives(fileOf(files, 'sentinel/sentinel-3.conf')).filter((l) => l.startsWith('sentinel known-sentinel '));
    const peers = ['sentinel-1', 'sentinel-2', 'sentinel-4', 'sentinel-5'];
    assert.deepEqual(
      known,
      peers.map((p) => {
        const peerId = directives(fileOf(files, `sentinel/${p}.conf`))
          .find((l) => l.startsWith('sentinel myid '))!
          .split(' ')[2];
        return `sentinel known-sentinel mymaster ${p} 26379 ${peerId}`;
      }),
    );
  });

  it('known-replica lines name every node but redis-1', () => {
    const lines = directives(fileOf(render('sentinel'), 'sentinel/sentinel-1.conf'));
    assert.deepEqual(
      lines.filter((l) => l.startsWith('sentinel known-replica ')),
      ['sentinel known-replica mymaster redis-2 6379', 'sentinel known-replica mymaster redis-3 6379'],
    );
  });

  it('timings come from the profile', () => {
    const lines = directives(fileOf(render('sentinel', { profile: 'fast' }), 'sentinel/sentinel-1.conf'));
    assert.ok(lines.includes('sentinel down-after-milliseconds mymaster 1000'));
    assert.ok(lines.includes('sentinel failover-timeout mymaster 6000'));
  });
});

describe('haproxy.cfg', () => {
  it('the write backend requires nbsrv >= the quorum (quorum 3 of 5 Sentinels) for every node', () => {
    const cfg = fileOf(render('full', { sentinel: { count: 5, quorum: 3 } }), 'haproxy/haproxy.cfg');
    const acls = cfg.split('\n').filter((l) => l.includes('_named_by_quorum nbsrv('));
    assert.deepEqual(
      acls.map((l) => l.trim()),
      ['redis-1', 'redis-2', 'redis-3'].map((n) => `acl ${n}_named_by_quorum nbsrv(sentinels_name_${n}) ge 3`),
    );
  });

  it('each sentinels_name_<node> backend checks all Sentinels', () => {
    const cfg = fileOf(render('full', { sentinel: { count: 5, quorum: 3 } }), 'haproxy/haproxy.cfg');
    const backend = cfg.split(/\n(?=backend )/).find((b) => b.startsWith('backend sentinels_name_redis-2\n'));
    assert.ok(backend);
    assert.deepEqual(
      backend.split('\n').filter((l) => l.trim().startsWith('server ')).map((l) => l.trim()),
      [1, 2, 3, 4, 5].map((i) => `server sentinel-${i} sentinel-${i}:26379 check`),
    );
  });

  it("the Sentinel expect string for redis-1 cannot match a reply naming redis-10 (replicas 9)", () => {
    const cfg = fileOf(render('full', { replicas: 9 }), 'haproxy/haproxy.cfg');
    const backends = cfg.split(/\n(?=backend )/);
    /** The expect string of sentinels_name_<node>, with HAProxy's \r \n escapes decoded. */
    const expectOf = (node: string): string => {
      const b = backends.find((x) => x.startsWith(`backend sentinels_name_${node}\n`));
      assert.ok(b, `backend sentinels_name_${node} exists`);
      const m = /tcp-check expect (?:min-recv 0 )?string "([^"]*)"/.exec(b);
      assert.ok(m, `backend sentinels_name_${node} has a quoted expect string`);
      return m[1]!.replaceAll('\\r', '\r').replaceAll('\\n', '\n');
    };
    // SENTINEL get-master-addr-by-name answers a RESP array of host and port.
    const reply = (host: string) => `*2\r\n$${host.length}\r\n${host}\r\n$4\r\n6379\r\n`;
    assert.ok(reply('redis-1').includes(expectOf('redis-1')), 'redis-1 matches its own reply');
    assert.ok(reply('redis-10').includes(expectOf('redis-10')), 'redis-10 matches its own reply');
    assert.ok(!reply('redis-10').includes(expectOf('redis-1')), 'redis-1 does not match a reply naming redis-10');
    assert.ok(!reply('redis-1').includes(expectOf('redis-10')), 'redis-10 does not match a reply naming redis-1');
  });

  it('checks authenticate as health (password filled in at start) when auth is on, and not at all when it is off', () => {
    const on = fileOf(render('full'), 'haproxy/haproxy.cfg');
    assert.ok(on.includes('tcp-check send "AUTH health @@health@@\\r\\n"'));
    assert.ok(on.includes('http-request auth realm redis-ha unless { http_auth(stats_users) }'), 'stats ask for a login');
    const off = fileOf(render('full', { auth: { enabled: false } }), 'haproxy/haproxy.cfg');
    assert.ok(!off.includes('AUTH'));
  });
});

describe('secrets and determinism', () => {
  for (const preset of ['basic', 'sentinel', 'full'] as const) {
    it(`${preset}: each secret is in its own file under secrets/ and in no other file (configs hold hashes)`, () => {
      const files = render(preset);
      for (const name of SECRET_NAMES) {
        assert.equal(fileOf(files, `secrets/${name}`), `${FIXED_SECRETS[name]}\n`);
        const leaking = [...files]
          .filter(([path, content]) => !path.startsWith('secrets/') && content.includes(FIXED_SECRETS[name]))
          .map(([p]) => p);
        assert.deepEqual(leaking, [], `the secret of ${name} leaks`);
      }
      assert.ok(fileOf(files, 'redis/redis-1.conf').includes(`user app on #${aclHash(FIXED_SECRETS.app)} `));
      assert.ok(!files.has('.env'), 'no .env any more');
      assert.match(fileOf(files, '.gitignore'), /^secrets\/$/m);
      const compose = fileOf(files, 'compose.yaml');
      assert.ok(!/environment:[^]*PASSWORD/.test(compose), 'no password variable in any environment');
    });
  }

  it('full: the exporter password file maps exactly this deployment\'s nodes and Sentinels', () => {
    const map = JSON.parse(fileOf(render('full'), 'secrets/exporter-passwords.json')) as Record<string, string>;
    assert.deepEqual(Object.keys(map).sort(), [
      'redis://redis-1:6379', 'redis://redis-2:6379', 'redis://redis-3:6379',
      'redis://sentinel-1:26379', 'redis://sentinel-2:26379', 'redis://sentinel-3:26379',
    ]);
    assert.ok(Object.values(map).every((pw) => pw === FIXED_SECRETS.exporter));
  });

  it('each service mounts only the secrets it reads', () => {
    const s = composeOf(render('full')).services;
    assert.deepEqual(s['redis-1']?.secrets, ['replica', 'health', 'admin']);
    assert.deepEqual(s['sentinel-1']?.secrets, ['sentinel', 'health']);
    assert.deepEqual(s.haproxy?.secrets, ['health', 'haproxy-stats']);
    assert.deepEqual(s.exporter?.secrets, ['exporter-passwords']);
  });

  it('auth disabled: no users, no secret files, nothing mounted', () => {
    const files = render('full', { auth: { enabled: false } });
    assert.deepEqual([...files.keys()].filter((p) => p.startsWith('secrets/')), []);
    assert.ok(!fileOf(files, 'redis/redis-1.conf').includes('user '));
    assert.equal(composeOf(files).secrets, undefined);
  });

  it('two synthesize() calls with the same input give identical maps (keys, order, content)', () => {
    const t = topologyOf('full', { replicas: 4, sentinel: { count: 5, quorum: 3 } });
    const a = synthesize(t, FIXED_SECRETS);
    const b = synthesize(structuredClone(t), FIXED_SECRETS);
    assert.deepEqual([...a.entries()], [...b.entries()]);
  });

  it('synthesize() does not modify the topology it is given', () => {
    const t = topologyOf('full');
    const before = structuredClone(t);
    synthesize(t, FIXED_SECRETS);
    assert.deepEqual(t, before);
  });

  it('a redis setting changes the redis nodes\' config-hash label, not the sentinels\'', () => {
    // (A config change re-creates exactly the services it affects.)
    const a = composeOf(render('sentinel')).services;
    const b = composeOf(render('sentinel', { redis: { maxmemory: '1gb' } })).services;
    const label = 'io.redis-ha.config-hash';
    assert.notEqual(a['redis-1']?.labels[label], b['redis-1']?.labels[label]);
    assert.equal(a['sentinel-1']?.labels[label], b['sentinel-1']?.labels[label]);
  });
});

describe('networks and the exporter behind HAProxy', () => {
  const files = render('full', { name: 'shop', network: 'net' });
  const compose = composeOf(files);
  const haproxy = fileOf(files, 'haproxy/haproxy.cfg');

  it('the back network is internal; the front one an ordinary bridge (its NAT carries DNS forwarding)', () => {
    assert.deepEqual(Object.keys(compose.networks), ['net', 'net-back']);
    assert.equal(compose.networks['net-back']!.internal, true);
    assert.equal(compose.networks.net!.internal, undefined);
    assert.deepEqual(Object.keys(compose.networks.net!), ['labels'], 'no driver options: IP masquerade stays on');
  });

  it('without an exporter there is no back network: every service on the one front network', () => {
    const plain = composeOf(render('sentinel', { name: 'shop', network: 'net' }));
    assert.deepEqual(Object.keys(plain.networks), ['net']);
    for (const [name, s] of Object.entries(plain.services)) assert.deepEqual(s.networks, ['net'], name);
  });

  it('services that publish ports are on both networks (Prometheus: the front one); the exporter only on the back one, with no port', () => {
    assert.deepEqual(compose.services.prometheus!.networks, ['net']);
    for (const [name, s] of Object.entries(compose.services)) {
      if (name === 'exporter' || name === 'prometheus') continue;
      assert.ok(s.ports?.length, `${name} publishes`);
      assert.deepEqual(s.networks, ['net-back', 'net'], name);
    }
    assert.deepEqual(compose.services.exporter!.networks, ['net-back']);
    assert.equal(compose.services.exporter!.ports, undefined);
  });

  it("haproxy.cfg passes /scrape only for this deployment's node and Sentinel names, after the stats login", () => {
    const lines = directives(haproxy);
    const at = (l: string) => lines.indexOf(l);
    assert.ok(at('acl exporter_node url_param(target) -m str redis-1 redis-2 redis-3') > 0);
    assert.ok(at('acl exporter_sentinel url_param(target) -m str sentinel-1 sentinel-2 sentinel-3') > 0);
    const deny = at('http-request deny deny_status 403 if exporter_scrape !exporter_node !exporter_sentinel');
    assert.ok(deny > at('http-request auth realm redis-ha unless { http_auth(stats_users) }'), 'the login comes first');
    assert.ok(at('use_backend exporter if exporter_scrape || exporter_own') > deny);
    // The backend rewrites the whole query to the URI of the name that was let through.
    assert.ok(lines.includes('http-request set-query target=redis://%[url_param(target)]:6379 if { path /scrape } { url_param(target) -m str redis-1 redis-2 redis-3 }'));
    assert.ok(lines.includes('http-request set-query target=redis://%[url_param(target)]:26379 if { path /scrape } { url_param(target) -m str sentinel-1 sentinel-2 sentinel-3 }'));
    assert.ok(lines.includes('server exporter exporter:9121'));
  });

  it('prometheus.yml scrapes every node and Sentinel by name through HAProxy, with the stats login', () => {
    const prom = parse(fileOf(files, 'prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; metrics_path?: string; basic_auth?: { username: string; password_file: string }; static_configs: { targets: string[] }[]; relabel_configs?: { replacement?: string }[] }[];
    };
    const [scrape, own] = prom.scrape_configs;
    assert.deepEqual(scrape!.static_configs.flatMap((c) => c.targets), ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3']);
    assert.equal(scrape!.relabel_configs!.at(-1)!.replacement, 'haproxy:8404');
    assert.equal(own!.metrics_path, '/exporter/metrics');
    // The deployment's own Prometheus (monitoring, on in full) reads the stats password where it is mounted; it scrapes itself too.
    for (const job of prom.scrape_configs) assert.deepEqual(job.basic_auth, { username: 'stats', password_file: '/run/secrets/haproxy-stats' }, job.job_name);
    assert.deepEqual(prom.scrape_configs.at(-1)!.static_configs[0]!.targets, ['localhost:9090']);
    // Without monitoring: a file for a Prometheus the user brings, the password file relative to it.
    const own_ = parse(fileOf(render('full', { monitoring: { enabled: false } }), 'prometheus/prometheus.yml')) as typeof prom;
    assert.equal(own_.scrape_configs.length, 3, 'no self-scrape');
    for (const job of own_.scrape_configs) assert.deepEqual(job.basic_auth, { username: 'stats', password_file: '../secrets/haproxy-stats' }, job.job_name);
    const open = parse(fileOf(render('full', { auth: { enabled: false } }), 'prometheus/prometheus.yml')) as typeof prom;
    for (const job of open.scrape_configs) assert.equal(job.basic_auth, undefined, job.job_name);
  });
});
