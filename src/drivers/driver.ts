// The one interface every network driver implements. Core asks the registry
// (registry.ts) for the driver of a network and calls these methods; it never
// looks at a driver's name. A driver is its create part, a plan (pure data,
// plan.ts), an apply layer, and this object tying them to create, setup and
// teardown.
import type { Attachment, NetworkOptions } from '../../schemas/network-options.js';
import type { Network } from '../../schemas/network.js';
import type { FirewallDriver } from '../../firewall/firewall.js';
import type { Log } from '../lib/log.js';
import type { UndoStack } from '../lib/undo.js';
import type { Netlink } from '../netlink/netlink.js';
import type { NetnsHandle } from '../netlink/netns.js';
import type { CreateDeps, CreateRequest } from '../network/request.js';
import type { PlanBase, PlanContext } from './plan.js';
import type { StatusBlock } from './status.js';
import type { PluginRunOptions } from './plugin-exec.js';

/** The kernel handles an apply layer works with. */
export interface ApplyEnv {
  host: Netlink;
  /** undefined in teardown when the container namespace is gone */
  ctr: Netlink | undefined;
  ns: NetnsHandle | undefined;
  log: Log;
  /**
   * Setup only: a driver calls it once the addresses its network's DNS server
   * binds exist on the host (with them, when its plan could not know them), so
   * the server starts while the rest of the setup goes on (core/dns.ts DnsStep).
   */
  dnsAddressesReady?: ((bindIps?: string[]) => void) | undefined;
}

/** What setup and teardown know beyond the plan: the call's input, the namespace path, the firewall. */
export interface CallEnv extends ApplyEnv {
  nsPath: string;
  opts: NetworkOptions;
  /** undefined when no plan of this call has firewall rules */
  firewall: FirewallDriver | undefined;
}

export interface SetupResult {
  status: StatusBlock;
  /** the addresses the DNS server binds for this network when the plan could not know them */
  dnsBindIps?: string[] | undefined;
}

/** Runs one best-effort teardown step; its failure is collected, not thrown (core/best-effort.ts). */
export type Attempt = (what: string, fn: () => Promise<unknown>) => Promise<void>;

export interface TeardownEnv extends CallEnv {
  attempt: Attempt;
}

/** What `create` knows beyond the request: the host facts, and how plugins are run (tests override it). */
export interface CreateEnv {
  deps: CreateDeps;
  plugin?: PluginRunOptions | undefined;
}

export interface CreateResult {
  network: Network;
  /** the network's subnets must not overlap those already in use */
  checkUsed: boolean;
}

export interface Driver<P extends PlanBase = PlanBase> {
  /**
   * `create`: the driver's part of completing `network` (a copy of the
   * request's), after the checks every network gets and before the common finish.
   */
  create(network: Network, req: CreateRequest, env: CreateEnv): Promise<CreateResult>;
  /** Pure: what this attachment needs. Throws ConfigError naming the field for bad options. */
  plan(att: Attachment, ctx: PlanContext): P;
  /** Carries the plan out, registering an undo step for everything it creates. */
  setup(plan: P, env: CallEnv, undo: UndoStack): Promise<SetupResult>;
  /** Best effort and idempotent: every step through env.attempt, "already gone" is success. */
  teardown(plan: P, env: TeardownEnv): Promise<void>;
}
