// A tar stream of a host file or directory, every entry owned by a given uid/gid: what
// `docker cp - <id>:<dir>` unpacks into a container. A small ustar writer instead of a
// dependency: we only write regular files and directories with short names, and stream the
// file contents (an RDB may be gigabytes) rather than hold them in memory.
//
// Why not `docker cp <host file>`: the engine makes such files root-owned (0:0) with the host
// mode, which a container running as a non-root user cannot read. Why not `docker cp -a`: on
// Docker 20.10 it looks the container's numeric `user` ("999:999") up in /etc/passwd and fails
// ("getent unable to find entry"). Without -a the engine keeps the uid/gid of the tar headers.
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export interface TarOwner {
  uid: number;
  gid: number;
}

export interface TarModes {
  /** Mode of regular files (default 0600: data files are the owner's only). */
  file?: number;
  /** Mode of directories (default 0700). */
  dir?: number;
}

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits: 8 GiB - 1

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, length, 'utf8');
}

function octal(buf: Buffer, offset: number, length: number, value: number): void {
  field(buf, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** One 512-byte ustar header; sizes past 8 GiB in GNU base-256 (Go's archive/tar, the engine's reader, accepts it). */
export function tarHeader(entry: { name: string; type: 'file' | 'dir'; size: number; mode: number; owner: TarOwner; mtime: number }): Buffer {
  const name = entry.type === 'dir' ? `${entry.name}/` : entry.name;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long (over 100 bytes): ${name}`);
  const h = Buffer.alloc(BLOCK);
  field(h, 0, 100, name);
  octal(h, 100, 8, entry.mode & 0o7777);
  octal(h, 108, 8, entry.owner.uid);
  octal(h, 116, 8, entry.owner.gid);
  if (entry.size <= MAX_OCTAL_SIZE) {
    octal(h, 124, 12, entry.size);
  } else {
    h[124] = 0x80;
    h.writeBigUInt64BE(BigInt(entry.size), 124 + 4);
  }
  octal(h, 136, 12, Math.floor(entry.mtime / 1000));
  h.fill(' ', 148, 156); // the checksum counts its own field as spaces
  h[156] = entry.type === 'dir' ? 0x35 : 0x30; // '5' directory, '0' regular file
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  let sum = 0;
  for (const byte of h) sum += byte;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

async function* entries(hostPath: string, name: string, owner: TarOwner, modes: Required<TarModes>): AsyncGenerator<Buffer> {
  const stat = await lstat(hostPath);
  if (stat.isDirectory()) {
    yield tarHeader({ name, type: 'dir', size: 0, mode: modes.dir, owner, mtime: stat.mtimeMs });
    for (const child of (await readdir(hostPath)).sort()) yield* entries(join(hostPath, child), `${name}/${child}`, owner, modes);
    return;
  }
  if (!stat.isFile()) throw new Error(`${hostPath} is neither a file nor a directory: not copied`);
  yield tarHeader({ name, type: 'file', size: stat.size, mode: modes.file, owner, mtime: stat.mtimeMs });
  let written = 0;
  for await (const chunk of createReadStream(hostPath)) {
    written += (chunk as Buffer).length;
    if (written > stat.size) break;
    yield chunk as Buffer;
  }
  if (written !== stat.size) throw new Error(`${hostPath} changed size while it was copied (${stat.size} bytes, then ${written})`);
  if (stat.size % BLOCK) yield Buffer.alloc(BLOCK - (stat.size % BLOCK));
}

/** `hostPath` (a file, or a directory with everything under it) as the tar entry `name`, then the end-of-archive blocks. */
export function tarStream(hostPath: string, name: string, owner: TarOwner, modes: TarModes = {}): Readable {
  const all = { file: modes.file ?? 0o600, dir: modes.dir ?? 0o700 };
  return Readable.from(
    (async function* () {
      yield* entries(hostPath, name, owner, all);
      yield Buffer.alloc(2 * BLOCK);
    })(),
    { objectMode: false },
  );
}
