// An application's test against the deployment of the smoke job: the client module redis-ha
// deploy wrote (REDIS_HA_CLIENTS_DIR comes from `redis-ha env` or clients/env).
import assert from 'node:assert/strict';
import process from 'node:process';
import { test } from 'node:test';

const { connect, MASTER_NAME } = await import(`${process.env.REDIS_HA_CLIENTS_DIR}/ioredis.mjs`);

test('writes and reads through the master the Sentinels name', async () => {
  assert.equal(MASTER_NAME, process.env.REDIS_MASTER_NAME);
  const redis = await connect();
  try {
    await redis.set('example:greeting', 'hello', 'EX', 60);
    assert.equal(await redis.get('example:greeting'), 'hello');
    assert.match(await redis.info('replication'), /role:master/);
  } finally {
    await redis.quit();
  }
});
