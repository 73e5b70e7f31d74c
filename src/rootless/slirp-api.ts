// The slirp4netns API socket (slirp4netns(1) "API SOCKET"): one JSON request
// per connection, then shutdown(SHUT_WR), then one JSON reply. The codecs are
// pure; `call()` is the only socket code.
import { createConnection } from 'node:net';
// zod/mini: the full zod build costs ~650 KB of bundle read on every `skiff setup`.
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import type { HostFwd } from './ports.js';

export type ApiRequest =
  | { execute: 'add_hostfwd'; arguments: HostFwd & { guest_addr?: string } }
  | { execute: 'remove_hostfwd'; arguments: { id: number } }
  | { execute: 'list_hostfwd' };

export const addHostFwd = (f: HostFwd): ApiRequest => ({ execute: 'add_hostfwd', arguments: { ...f } });
export const removeHostFwd = (id: number): ApiRequest => ({ execute: 'remove_hostfwd', arguments: { id } });
export const listHostFwd = (): ApiRequest => ({ execute: 'list_hostfwd' });

const errorReply = z.object({ error: z.looseObject({ desc: z.optional(z.string()) }) });
const addReply = z.object({ return: z.object({ id: z.int() }) });
const entrySchema = z.object({
  id: z.int(),
  proto: z.string(),
  host_addr: z.string(),
  host_port: z.int(),
  guest_addr: z.optional(z.string()),
  guest_port: z.int(),
});
// slirp4netns(1) documents `{"return":{"entries":[...]}}`; 1.2.0 answers `{"entries":[...]}`.
const entries = z.object({ entries: z.array(entrySchema) });
const listReply = z.union([z.pipe(z.object({ return: entries }), z.transform((r) => r.return)), entries]);
export type HostFwdEntry = z.infer<typeof entrySchema>;

/** Parses a reply; an `{"error":...}` reply becomes a SkiffError with slirp4netns' description. */
function decode<T>(text: string, schema: z.ZodMiniType<T>, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SkiffError(`slirp4netns API ${what}: reply is not JSON: ${JSON.stringify(text.slice(0, 200))}`, { code: ErrorCode.SKIFF_ERR_SLIRP_API });
  }
  const err = errorReply.safeParse(raw);
  if (err.success) {
    throw new SkiffError(`slirp4netns API ${what}: ${err.data.error.desc ?? JSON.stringify(err.data.error)}`, { code: ErrorCode.SKIFF_ERR_SLIRP_API });
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new SkiffError(`slirp4netns API ${what}: unexpected reply ${text.slice(0, 200)}`, { code: ErrorCode.SKIFF_ERR_SLIRP_API });
  return r.data;
}

export const decodeAdd = (text: string): number => decode(text, addReply, 'add_hostfwd').return.id;
export const decodeList = (text: string): HostFwdEntry[] => decode(text, listReply, 'list_hostfwd').entries;
export const decodeRemove = (text: string): void => {
  decode(text, z.unknown(), 'remove_hostfwd'); // anything but an error reply is success
};

/** One request/reply exchange on the API socket. */
export function call(socketPath: string, req: ApiRequest, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = createConnection(socketPath);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new SkiffError(`slirp4netns API ${req.execute}: no reply from ${socketPath} within ${timeoutMs} ms`, { code: ErrorCode.SKIFF_ERR_SLIRP_API }));
    }, timeoutMs);
    sock.on('connect', () => sock.end(JSON.stringify(req))); // end() = write + shutdown(SHUT_WR)
    sock.on('data', (b: Buffer) => chunks.push(b));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new SkiffError(`slirp4netns API ${req.execute}: cannot reach ${socketPath}: ${e.code ?? e.message}`, { code: ErrorCode.SKIFF_ERR_SLIRP_API, cause: e }));
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
