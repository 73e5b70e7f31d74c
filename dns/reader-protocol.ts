// Messages between the server's main thread (dns/readers.ts) and its reader
// thread (dns/reader-thread.ts). Both sides are this bundle, so the guards
// only tell our messages from anything else a worker channel might carry.

export const READER_ROLE = 'skiff-dns-reader';

export interface ReaderInit {
  role: typeof READER_ROLE;
  dir: string;
  port: number;
  searchDomain: string;
  noProxy: boolean;
  /** Int32Array(2): [hand-offs posted by the reader, hand-offs taken by the main thread] */
  handOffs: SharedArrayBuffer;
}

/**
 * Hand-offs the main thread has not taken yet, at most: a flood of queries for
 * upstream must not queue up in memory (with one thread, the kernel's socket
 * buffer bounds it and drops the rest; this is the same bound between threads).
 */
export const MAX_HANDOFFS_QUEUED = 1024;

/** One listener the reader is to read: `fd` is its own copy, given when the reader does not hold that IP yet. */
export interface ReaderSocket {
  ip: string;
  fd?: number;
}

/**
 * After a sync the reader reads exactly `sockets` (dropping and closing the
 * others first) and answers from the config dir as it reads now.
 */
export interface SyncMessage {
  t: 'sync';
  seq: number;
  sockets: ReaderSocket[];
}

export interface StopMessage {
  t: 'stop';
}

export type ToReader = SyncMessage | StopMessage;

export type Counters = Record<string, number>;

export type FromReader =
  | { t: 'hello' }
  | { t: 'synced'; seq: number; adopted: number[]; errors: string[] }
  | { t: 'stats'; stats: Counters }
  /** a UDP query for upstream or the cache: the main thread answers it, through the same socket */
  | { t: 'forward'; query: Uint8Array; address: string; port: number; ip: string };

const isObject = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null;

export function isReaderInit(d: unknown): d is ReaderInit {
  return isObject(d) && d.role === READER_ROLE && typeof d.dir === 'string' && typeof d.port === 'number' && d.handOffs instanceof SharedArrayBuffer;
}

export function isToReader(m: unknown): m is ToReader {
  return isObject(m) && ((m.t === 'sync' && typeof m.seq === 'number' && Array.isArray(m.sockets)) || m.t === 'stop');
}

export function isFromReader(m: unknown): m is FromReader {
  if (!isObject(m)) return false;
  if (m.t === 'forward') return m.query instanceof Uint8Array && typeof m.address === 'string' && typeof m.port === 'number' && typeof m.ip === 'string';
  return m.t === 'hello' || (m.t === 'synced' && typeof m.seq === 'number') || (m.t === 'stats' && isObject(m.stats));
}
