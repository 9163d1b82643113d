// Every cross-field rule of src/model/rules.ts: the bad input, and the exact problem
// (severity, path, message, hint) it produces. Rules run on normalized topologies here;
// sources (file:line:col, --flag) are covered in load-sources.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Problem } from '../../src/model/problems.js';
import { checkRules } from '../../src/model/rules.js';
import type { Topology } from '../../src/model/schema.js';
import { isDefaultMaxmemoryNotice, problemsOf, topologyOf } from '../helpers/topology.js';
import { DEFAULT_MAXMEMORY, redisMemoryLimit } from '../../src/model/memory.js';

const at = (problems: Problem[], path: string) => problems.filter((p) => p.path === path);

describe('rules: the presets as shipped', () => {
  for (const preset of ['basic', 'sentinel', 'full', 'cluster'] as const) {
    it(`${preset} has no problem at all`, () => {
      assert.deepEqual(checkRules(topologyOf(preset)), []);
    });
  }
});

describe('rules: sentinel quorum', () => {
  it('quorum 0 is an error (the quorum rule: the schema takes any integer, see load-sources)', () => {
    const t = topologyOf('sentinel');
    const bad: Topology = { ...t, sentinel: { ...t.sentinel, quorum: 0 } };
    assert.deepEqual(at(checkRules(bad), 'sentinel.quorum'), [
      {
        severity: 'error',
        path: 'sentinel.quorum',
        message: 'quorum 0 is not between 1 and the sentinel count (3)',
        hint: 'set sentinel.quorum to 2 (a majority of 3)',
      },
    ]);
  });

  it('quorum greater than the sentinel count is an error', () => {
    const problems = checkRules(topologyOf('sentinel', { sentinel: { count: 3, quorum: 4 } }));
    assert.deepEqual(at(problems, 'sentinel.quorum'), [
      {
        severity: 'error',
        path: 'sentinel.quorum',
        message: 'quorum 4 is not between 1 and the sentinel count (3)',
        hint: 'set sentinel.quorum to 2 (a majority of 3)',
      },
    ]);
  });

  it('quorum equal to the sentinel count is accepted', () => {
    assert.deepEqual(at(checkRules(topologyOf('sentinel', { sentinel: { count: 3, quorum: 3 } })), 'sentinel.quorum'), []);
  });

  it('quorum below a majority is a warning', () => {
    const problems = checkRules(topologyOf('sentinel', { sentinel: { count: 5, quorum: 2 } }));
    assert.deepEqual(at(problems, 'sentinel.quorum'), [
      {
        severity: 'warning',
        path: 'sentinel.quorum',
        message: 'quorum 2 is less than a majority of 5 Sentinels',
        hint: 'a failover still needs a majority to authorize it, but fewer Sentinels can declare the master down; use 3 unless you mean it',
      },
    ]);
  });
});

describe('rules: sentinel count', () => {
  it('1 Sentinel is a warning (singular wording)', () => {
    const problems = checkRules(topologyOf('sentinel', { sentinel: { count: 1, quorum: 1 } }));
    assert.deepEqual(at(problems, 'sentinel.count'), [
      {
        severity: 'warning',
        path: 'sentinel.count',
        message: '1 Sentinel cannot survive the loss of one and still elect a leader',
        hint: 'use 3 or 5 Sentinels',
      },
    ]);
  });

  it('2 Sentinels is a warning', () => {
    const problems = checkRules(topologyOf('sentinel', { sentinel: { count: 2, quorum: 2 } }));
    assert.deepEqual(at(problems, 'sentinel.count'), [
      {
        severity: 'warning',
        path: 'sentinel.count',
        message: '2 Sentinels cannot survive the loss of one and still elect a leader',
        hint: 'use 3 or 5 Sentinels',
      },
    ]);
  });

  it('an even count of 3 or more is a warning', () => {
    const problems = checkRules(topologyOf('sentinel', { sentinel: { count: 4, quorum: 3 } }));
    assert.deepEqual(at(problems, 'sentinel.count'), [
      {
        severity: 'warning',
        path: 'sentinel.count',
        message: '4 Sentinels (an even number) tolerate no more failures than 3',
        hint: 'use 3 or 5 Sentinels',
      },
    ]);
  });

  it('5 Sentinels with quorum 3 has no problem', () => {
    assert.deepEqual(checkRules(topologyOf('sentinel', { sentinel: { count: 5, quorum: 3 } })), []);
  });
});

describe('rules: failover timeout against down-after', () => {
  const expected = (failover: number, down: number): Problem => ({
    severity: 'error',
    path: 'sentinel.failoverTimeoutMs',
    message: `failover timeout ${failover} ms is too short for down-after ${down} ms`,
    hint: `set sentinel.failoverTimeoutMs to at least ${2 * down} (twice sentinel.downAfterMs)`,
  });

  it('explicit failoverTimeoutMs below 2 x downAfterMs is an error', () => {
    const problems = checkRules(topologyOf('sentinel', { sentinel: { downAfterMs: 5000, failoverTimeoutMs: 9999 } }));
    assert.deepEqual(at(problems, 'sentinel.failoverTimeoutMs'), [expected(9999, 5000)]);
  });

  it('exactly 2 x downAfterMs is accepted', () => {
    const problems = checkRules(topologyOf('sentinel', { sentinel: { downAfterMs: 5000, failoverTimeoutMs: 10000 } }));
    assert.deepEqual(at(problems, 'sentinel.failoverTimeoutMs'), []);
  });

  it('profile fast: its default failover timeout (6000) against a longer downAfterMs is an error', () => {
    const t = topologyOf('sentinel', { profile: 'fast', sentinel: { downAfterMs: 4000 } });
    assert.equal(t.sentinel.failoverTimeoutMs, 6000, 'profile fast fills in failoverTimeoutMs 6000');
    assert.deepEqual(at(checkRules(t), 'sentinel.failoverTimeoutMs'), [expected(6000, 4000)]);
  });

  it('profile fast: its own default down-after (1000) against a short failoverTimeoutMs is an error', () => {
    const t = topologyOf('sentinel', { profile: 'fast', sentinel: { failoverTimeoutMs: 1500 } });
    assert.equal(t.sentinel.downAfterMs, 1000, 'profile fast fills in downAfterMs 1000');
    assert.deepEqual(at(checkRules(t), 'sentinel.failoverTimeoutMs'), [expected(1500, 1000)]);
  });

  it('profile fast defaults alone are consistent', () => {
    assert.deepEqual(checkRules(topologyOf('sentinel', { profile: 'fast' })), []);
  });

  it('the rule does not apply without Sentinel', () => {
    const problems = checkRules(topologyOf('basic', { sentinel: { downAfterMs: 5000, failoverTimeoutMs: 1000 } }));
    assert.deepEqual(at(problems, 'sentinel.failoverTimeoutMs'), []);
  });
});

describe('rules: replicas and Sentinel', () => {
  it('Sentinel with 0 replicas warns that there is nothing to promote', () => {
    const problems = checkRules(topologyOf('sentinel', { replicas: 0, redis: { minReplicasToWrite: 0 } }));
    assert.deepEqual(problems, [
      {
        severity: 'warning',
        path: 'replicas',
        message: 'Sentinel has no replica to promote when the master fails',
        hint: 'set replicas to 1 or more',
      },
    ]);
  });

  it('basic with 0 replicas is fine', () => {
    assert.deepEqual(checkRules(topologyOf('basic', { replicas: 0 })), []);
  });
});

describe('rules: min-replicas-to-write', () => {
  it('minReplicasToWrite above the replica count is an error (plural)', () => {
    const problems = checkRules(topologyOf('basic', { replicas: 2, redis: { minReplicasToWrite: 3 } }));
    assert.deepEqual(at(problems, 'redis.minReplicasToWrite'), [
      {
        severity: 'error',
        path: 'redis.minReplicasToWrite',
        message: 'minReplicasToWrite 3 is more than the 2 replicas: the master would refuse every write',
        hint: 'set redis.minReplicasToWrite to at most 2, or add replicas',
      },
    ]);
  });

  it('minReplicasToWrite above 1 replica is an error (singular)', () => {
    const problems = checkRules(topologyOf('basic', { replicas: 1, redis: { minReplicasToWrite: 2 } }));
    assert.equal(
      at(problems, 'redis.minReplicasToWrite')[0]?.message,
      'minReplicasToWrite 2 is more than the 1 replica: the master would refuse every write',
    );
  });

  it('minReplicasToWrite equal to the replica count is accepted', () => {
    assert.deepEqual(checkRules(topologyOf('basic', { replicas: 2, redis: { minReplicasToWrite: 2 } })), []);
  });

  it('Sentinel with replicas and minReplicasToWrite 0 is a warning', () => {
    const problems = checkRules(topologyOf('sentinel', { redis: { minReplicasToWrite: 0 } }));
    assert.deepEqual(problems, [
      {
        severity: 'warning',
        path: 'redis.minReplicasToWrite',
        message: 'a master cut off from its replicas keeps accepting writes that the next failover discards',
        hint: 'set redis.minReplicasToWrite to 1',
      },
    ]);
  });
});

describe('rules: persistence', () => {
  it('none with replicas warns that a restarted master would empty its replicas', () => {
    assert.deepEqual(at(checkRules(topologyOf('basic', { redis: { persistence: 'none' } })), 'redis.persistence'), [
      {
        severity: 'warning',
        path: 'redis.persistence',
        message: 'without persistence a master that restarts comes back empty, and its replicas copy the empty dataset',
        hint: 'use aof (the default) or rdb; with none, redis-ha does not restart Redis containers automatically',
      },
    ]);
  });

  it('aof and rdb do not warn, nor does none without replicas', () => {
    assert.deepEqual(at(checkRules(topologyOf('basic', { redis: { persistence: 'rdb' } })), 'redis.persistence'), []);
    assert.deepEqual(at(checkRules(topologyOf('basic')), 'redis.persistence'), []);
    assert.deepEqual(at(checkRules(topologyOf('basic', { replicas: 0, redis: { persistence: 'none' } })), 'redis.persistence'), []);
  });
});

describe('rules: redis.extraConfig', () => {
  it('a directive with a topology field is an error at its index, naming the field', () => {
    const problems = checkRules(topologyOf('basic', { redis: { extraConfig: ['hz 100', 'maxmemory 1gb'] } }));
    assert.deepEqual(problems, [
      {
        severity: 'error',
        path: 'redis.extraConfig.1',
        message: '"maxmemory" cannot be set in extraConfig: redis-ha sets it from redis.maxmemory',
        hint: 'use redis.maxmemory in the topology',
      },
    ]);
  });

  it('a refused directive is found whatever its case and leading blanks', () => {
    const problems = checkRules(topologyOf('basic', { redis: { extraConfig: ['   ReplicaOf 10.0.0.1 6379'] } }));
    assert.deepEqual(problems, [
      {
        severity: 'error',
        path: 'redis.extraConfig.0',
        message:
          '"replicaof" cannot be set in extraConfig: the role of each node is decided by redis-ha and Sentinel; a master named here receives the data and the replication secret',
        hint: 'let Sentinel decide (redis-1 starts as master)',
      },
    ]);
  });

  it('every refused line is reported, not only the first', () => {
    const problems = checkRules(topologyOf('basic', { redis: { extraConfig: ['requirepass x', 'hz 100', 'port 1'] } }));
    assert.deepEqual(
      problems.map((p) => p.path),
      ['redis.extraConfig.0', 'redis.extraConfig.2'],
    );
  });

  it('unrefused directives, blank entries and comments pass', () => {
    const extraConfig = ['hz 100', 'latency-tracking no', '', '   ', '# a note', 'notify-keyspace-events "Ex"'];
    assert.deepEqual(checkRules(topologyOf('basic', { redis: { extraConfig } })), []);
  });
});

describe('rules: components', () => {
  it('HAProxy without Sentinel is an error', () => {
    const problems = checkRules(topologyOf('basic', { haproxy: { enabled: true } }));
    assert.deepEqual(problems, [
      {
        severity: 'error',
        path: 'haproxy.enabled',
        message: 'HAProxy routes writes to the master the Sentinels name, so it needs Sentinel',
        hint: 'set sentinel.enabled: true, or use the full preset',
      },
    ]);
  });

  it('full with replicas 0: the read port needs a replica (error), Sentinel has none to promote (warning), min-replicas-to-write 1 cannot be met (error)', () => {
    const problems = checkRules(topologyOf('full', { replicas: 0 }));
    assert.deepEqual(
      problems.map((p) => [p.severity, p.path, p.message]),
      [
        ['warning', 'replicas', 'Sentinel has no replica to promote when the master fails'],
        ['error', 'redis.minReplicasToWrite', 'minReplicasToWrite 1 is more than the 0 replicas: the master would refuse every write'],
        ['error', 'replicas', 'the HAProxy read port needs at least 1 replica to send reads to'],
      ],
    );
  });
});

describe('rules: published ports', () => {
  it('haproxy.writePort equal to a redis port is an error on haproxy.writePort', () => {
    // portBase 7000: redis-1 is published on 7001.
    const problems = checkRules(topologyOf('full', { haproxy: { writePort: 7001 } }));
    assert.deepEqual(problems, [
      {
        severity: 'error',
        path: 'haproxy.writePort',
        message: 'port 7001 for haproxy is already used by redis-1',
        hint: 'give each published port its own number',
      },
    ]);
  });

  it('exporter.port (no longer published) is a warning, never a port clash', () => {
    const problems = checkRules(topologyOf('full', { exporter: { port: 7101 } }));
    assert.deepEqual(
      problems.map((p) => [p.severity, p.path]),
      [['warning', 'exporter.port']],
    );
    assert.match(problems[0]!.message, /ignored: the exporter publishes no port/);
  });

  it('the exporter without HAProxy is an error naming the fix (it is served only through the stats port)', () => {
    const problems = checkRules(topologyOf('sentinel', { exporter: { enabled: true } }));
    assert.deepEqual(
      problems.map((p) => [p.severity, p.path]),
      [['error', 'exporter.enabled']],
    );
    assert.match(problems[0]!.message, /needs HAProxy/);
    assert.match(problems[0]!.hint!, /haproxy\.enabled: true.*exporter\.enabled: false/);
  });

  it('readPort equal to writePort is an error', () => {
    const problems = checkRules(topologyOf('full', { haproxy: { writePort: 9000, readPort: 9000 } }));
    assert.deepEqual(
      problems.map((p) => [p.path, p.message]),
      [['haproxy.readPort', 'port 9000 for haproxy is already used by haproxy']],
    );
  });

  it('a port above 65535 is an error (rule level; the schema bounds keep every port lower)', () => {
    const t = topologyOf('full');
    const bad: Topology = { ...t, haproxy: { ...t.haproxy, statsPort: 65800 } };
    assert.deepEqual(checkRules(bad), [
      {
        severity: 'error',
        path: 'haproxy.statsPort',
        message: 'port 65800 for haproxy is out of range (1-65535)',
        hint: 'lower portBase or set the port explicitly',
      },
    ]);
  });
});

describe('rules: bind address and auth', () => {
  it('a non-loopback bind without auth is an error on auth.enabled, saying what it means', () => {
    const problems = checkRules(topologyOf('basic', { bind: '0.0.0.0', auth: { enabled: false } }));
    assert.deepEqual(problems, [
      {
        severity: 'error',
        path: 'auth.enabled',
        message: 'ports are published on 0.0.0.0 without a password: anyone who reaches them can read and write everything',
        hint: 'enable auth, or bind to 127.0.0.1',
      },
    ]);
  });

  for (const bind of ['10.1.2.3', '::', '::ffff:10.0.0.1', '128.0.0.1']) {
    it(`${bind} without auth is an error (not loopback)`, () => {
      const problems = checkRules(topologyOf('basic', { bind, auth: { enabled: false } }));
      assert.deepEqual(
        problems.map((p) => [p.severity, p.path]),
        [['error', 'auth.enabled']],
      );
    });
  }

  it('a non-loopback bind with auth is a warning on bind', () => {
    const problems = checkRules(topologyOf('basic', { bind: '10.1.2.3', auth: { enabled: true } }));
    assert.deepEqual(problems, [
      {
        severity: 'warning',
        path: 'bind',
        message: 'ports are published on 10.1.2.3, reachable from other hosts',
        hint: 'bind to 127.0.0.1 unless you mean it',
      },
    ]);
  });

  for (const bind of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
    it(`loopback ${bind} without auth is a warning saying what it means, never silent`, () => {
      assert.deepEqual(checkRules(topologyOf('basic', { bind, auth: { enabled: false } })), [
        {
          severity: 'warning',
          path: 'auth.enabled',
          message: `auth is disabled: anyone who reaches the ports on ${bind} (every local user, process and container) can read and write everything`,
          hint: 'enable auth unless this is a throwaway deployment on your own machine',
        },
      ]);
    });
  }
});

describe('rules: all at once', () => {
  it('every rule runs: several errors from different rules are reported together', () => {
    const problems = checkRules(
      topologyOf('full', {
        sentinel: { count: 3, quorum: 7 },
        redis: { extraConfig: ['save 60 1'] },
        haproxy: { statsPort: 7002 },
        bind: '0.0.0.0',
        auth: { enabled: false },
      }),
    );
    assert.deepEqual(
      problems.filter((p) => p.severity === 'error').map((p) => p.path),
      ['sentinel.quorum', 'redis.extraConfig.0', 'haproxy.statsPort', 'auth.enabled'],
    );
  });
});

describe('rules: redis.maxmemory', () => {
  it('none set: the default applies, with a warning that names it and the container limit', async () => {
    const { valid, problems } = await problemsOf({ preset: 'sentinel' }, { withDefaultNotices: true });
    assert.equal(valid, true);
    assert.deepEqual(problems.map((p) => [p.severity, p.path]), [['warning', 'redis.maxmemory']]);
    assert.match(problems[0]!.message, /^no redis\.maxmemory set: each node gets 256mb \(container memory limit 576m\); past it writes are refused$/);
    assert.equal(topologyOf('sentinel').redis.maxmemory, DEFAULT_MAXMEMORY);
  });

  it('set: no warning, and the value is kept', async () => {
    const { problems } = await problemsOf({ preset: 'sentinel', overrides: [{ path: 'redis.maxmemory', value: '1gb', flag: '--set' }] }, { withDefaultNotices: true });
    assert.deepEqual(problems, []);
    assert.equal(topologyOf('sentinel', { redis: { maxmemory: '1gb' } }).redis.maxmemory, '1gb');
  });

  it('0: a warning that nothing bounds Redis or its container', () => {
    const problems = checkRules(topologyOf('basic', { redis: { maxmemory: 0 } }));
    assert.deepEqual(problems.map((p) => p.path), ['redis.maxmemory']);
    assert.match(problems[0]!.message, /no limit; Redis may take all of the host's memory, and its containers get no memory limit/);
  });

  it('an evicting policy is named in the default warning', async () => {
    const { problems } = await problemsOf(
      { preset: 'basic', overrides: [{ path: 'redis.maxmemoryPolicy', value: 'allkeys-lru', flag: '--set' }] },
      { withDefaultNotices: true },
    );
    assert.match(problems.find(isDefaultMaxmemoryNotice)?.message ?? '', /keys are evicted \(allkeys-lru\)$/);
  });

  it('the container memory limit follows maxmemory: twice it plus 64 MiB; none for 0', () => {
    assert.equal(redisMemoryLimit('256mb'), '576m');
    assert.equal(redisMemoryLimit('1gb'), '2112m');
    assert.equal(redisMemoryLimit('100m'), `${Math.ceil((2 * 100e6) / 1024 ** 2) + 64}m`);
    assert.equal(redisMemoryLimit(0), undefined);
  });
});
