// The client→daemon request and daemon→client replies. Pure: bytes in, data
// out. The C client (src/client/client.c) writes the same format.
//
// Request: "SKD1", u32 LE body length, body. The body is NUL-terminated
// fields: kind ("run", "status", "stop"); for "run" then the client's build
// id, its user/mnt/net namespace inodes, umask (decimal), cwd, argc, the
// arguments after argv[0], envc, the environment (KEY=VALUE). The client's
// stdin, stdout and stderr come along as SCM_RIGHTS fds on the first bytes.
//
// Replies are single lines: "run" (accepted; from here on the request counts
// as started), then "exit <code>"; or instead of both "refuse <reason>" (not
// started: the client runs the command in-process) or "mismatch <build id>"
// (another build: the client starts a fresh daemon). status → "status <json>".

export const MAGIC = 'SKD1';
export const MAX_BODY = 4 << 20;

export interface RunRequest {
  kind: 'run';
  build: string;
  ns: { user: number; mnt: number; net: number };
  umask: number;
  cwd: string;
  args: string[];
  env: Record<string, string>;
}

export type Request = RunRequest | { kind: 'status' } | { kind: 'stop' };

export class ProtocolError extends Error {}

/** Length of the whole frame once its header is in `buf`; undefined before. */
export function frameLength(buf: Buffer): number | undefined {
  if (buf.length < 8) return undefined;
  if (buf.toString('latin1', 0, 4) !== MAGIC) throw new ProtocolError('bad magic');
  const len = buf.readUInt32LE(4);
  if (len > MAX_BODY) throw new ProtocolError(`request of ${len} bytes is too large`);
  return 8 + len;
}

export function encodeFrame(fields: readonly string[]): Buffer {
  const body = Buffer.from(fields.map((f) => `${f}\0`).join(''));
  const head = Buffer.alloc(8);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function fieldsOf(body: Buffer): string[] {
  const s = body.toString('utf8');
  if (!s.endsWith('\0')) throw new ProtocolError('body does not end in NUL');
  return s.slice(0, -1).split('\0');
}

function int(field: string | undefined, what: string): number {
  if (field === undefined || !/^\d+$/.test(field)) throw new ProtocolError(`bad ${what}: ${JSON.stringify(field)}`);
  return Number(field);
}

/** Parses one whole frame (header included). Throws ProtocolError on anything malformed. */
export function parseRequest(frame: Buffer): Request {
  const f = fieldsOf(frame.subarray(8));
  const kind = f[0];
  if (kind === 'status' || kind === 'stop') return { kind };
  if (kind !== 'run') throw new ProtocolError(`unknown request kind ${JSON.stringify(kind)}`);
  let i = 1;
  const next = (what: string): string => {
    const v = f[i++];
    if (v === undefined) throw new ProtocolError(`truncated request: no ${what}`);
    return v;
  };
  const build = next('build id');
  const ns = { user: int(next('user ns'), 'user ns'), mnt: int(next('mnt ns'), 'mnt ns'), net: int(next('net ns'), 'net ns') };
  const umask = int(next('umask'), 'umask');
  const cwd = next('cwd');
  const argc = int(next('argc'), 'argc');
  const args: string[] = [];
  for (let a = 0; a < argc; a++) args.push(next('argument'));
  const envc = int(next('envc'), 'envc');
  const env: Record<string, string> = {};
  for (let e = 0; e < envc; e++) {
    const kv = next('environment entry');
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (i !== f.length) throw new ProtocolError('trailing fields in request');
  return { kind, build, ns, umask, cwd, args, env };
}
