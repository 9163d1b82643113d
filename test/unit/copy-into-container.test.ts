// What redis-ha copies into a container: the tar stream (read back by GNU tar, the reference
// reader) and the owner taken from the container's user.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { dataOwner } from '../../src/operations/data-owner.js';
import { tarHeader, tarStream } from '../../src/runtime/tar.js';
import { withTempDir } from '../helpers/tmp.js';

describe('tarStream', () => {
  it('a directory with its files: owner, modes and contents as GNU tar reads them back', () =>
    withTempDir(async (dir) => {
      // The AOF directory a restore writes: a manifest and a base file whose size is not a multiple of 512.
      const src = join(dir, 'appendonlydir');
      await mkdir(src);
      const base = Buffer.alloc(1300, 7);
      await writeFile(join(src, 'appendonly.aof.1.base.rdb'), base);
      await writeFile(join(src, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.rdb seq 1 type b\n');
      await pipeline(tarStream(src, 'appendonlydir', { uid: 999, gid: 1000 }), createWriteStream(join(dir, 'out.tar')));

      const listing = execFileSync('tar', ['--numeric-owner', '-tvf', join(dir, 'out.tar')], { encoding: 'utf8' }).trim().split('\n');
      assert.equal(listing.length, 3);
      assert.match(listing[0]!, /^drwx------ 999\/1000 +0 .* appendonlydir\/$/);
      assert.match(listing[1]!, /^-rw------- 999\/1000 +1300 .* appendonlydir\/appendonly\.aof\.1\.base\.rdb$/);
      assert.match(listing[2]!, /^-rw------- 999\/1000 +44 .* appendonlydir\/appendonly\.aof\.manifest$/);
      const out = join(dir, 'out');
      await mkdir(out);
      execFileSync('tar', ['-xf', join(dir, 'out.tar'), '-C', out]);
      assert.deepEqual(await readFile(join(out, 'appendonlydir', 'appendonly.aof.1.base.rdb')), base);
      assert.equal(await readFile(join(out, 'appendonlydir', 'appendonly.aof.manifest'), 'utf8'), 'file appendonly.aof.1.base.rdb seq 1 type b\n');
    }));

  it('other modes when asked', () =>
    withTempDir(async (dir) => {
      await writeFile(join(dir, 'f'), 'x');
      await pipeline(tarStream(join(dir, 'f'), 'g', { uid: 0, gid: 0 }, { file: 0o640 }), createWriteStream(join(dir, 'out.tar')));
      assert.match(execFileSync('tar', ['--numeric-owner', '-tvf', join(dir, 'out.tar')], { encoding: 'utf8' }), /^-rw-r----- 0\/0 +1 .* g\n$/);
    }));

  it('a size past 8 GiB in base-256, a name over 100 bytes refused', () => {
    const size = 9 * 2 ** 30;
    const h = tarHeader({ name: 'big.rdb', type: 'file', size, mode: 0o600, owner: { uid: 999, gid: 999 }, mtime: 0 });
    assert.equal(h[124], 0x80);
    assert.equal(h.readBigUInt64BE(128), BigInt(size));
    assert.throws(() => tarHeader({ name: 'x'.repeat(101), type: 'file', size: 0, mode: 0o600, owner: { uid: 0, gid: 0 }, mtime: 0 }), /name too long/);
  });
});

describe('dataOwner', () => {
  it("numeric users as given, a bare uid with the same number as group, root for none, the redis image's 999 for a name", () => {
    assert.deepEqual(dataOwner({ user: '999:999' }), { uid: 999, gid: 999 });
    assert.deepEqual(dataOwner({ user: '999' }), { uid: 999, gid: 999 });
    assert.deepEqual(dataOwner({ user: '1001:1000' }), { uid: 1001, gid: 1000 });
    assert.deepEqual(dataOwner({ user: '' }), { uid: 0, gid: 0 });
    assert.deepEqual(dataOwner({}), { uid: 0, gid: 0 });
    assert.deepEqual(dataOwner({ user: 'redis' }), { uid: 999, gid: 999 });
  });
});
