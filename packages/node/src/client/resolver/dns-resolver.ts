/**
 * `dns:[//server/]host[:port]` (naming.md), the default scheme: the host's A and AAAA records,
 * each address its own endpoint (as grpc-go and grpc-js do, so that round_robin spreads calls
 * over them), all with the target's port (443 by default).
 *
 * - An authority names the DNS server to ask (`dns://127.0.0.1:5353/svc:50051`, an IP address,
 *   port 53 by default); without one the system resolver answers (dns-queries.ts).
 * - An IP address as the host is its own answer, with no DNS query.
 * - It resolves once on `start`, then again only when asked (`resolveNow`, which the balancer
 *   calls after a connection fails), at most once per `dnsMinResolutionIntervalMs`: a request
 *   inside the interval is kept for the interval's end, and more requests until then add
 *   nothing. A request while a resolution is in flight is answered by that resolution. With
 *   `dnsPeriodicResolutionMs` it also resolves on that period, counted from the last start.
 * - Every completed resolution is delivered, changed or not. A failure goes to `onError` as
 *   UNAVAILABLE naming the host, the DNS error and the server; the resolver waits to be asked
 *   again (the channel's backoff decides when).
 * - With `dnsServiceConfig` the TXT record `_grpc_config.<host>` is read too
 *   (dns-service-config.ts): no record is no config; a malformed one, or a TXT query that
 *   fails for another reason, is a `serviceConfigError` beside the addresses.
 * - Timers come from the options' clock and are unref'ed; after `close` no timer runs and late
 *   answers are dropped.
 */

import { isIP } from "node:net";
import { hostname } from "node:os";
import { Code, RpcError } from "@grpc-ts/core";
import type { TimerHandle } from "../clock.js";
import { type DnsQueries, type DnsQueriesFactory, isNoRecord, nodeDnsQueries } from "./dns-queries.js";
import { type ClientIdentity, serviceConfigFromTxt } from "./dns-service-config.js";
import { type HostPort, joinHostPort, splitHostPort } from "./host-port.js";
import type {
  ParsedTarget,
  Resolver,
  ResolverFactory,
  ResolverListener,
  ResolverOptions,
  ResolverResult,
} from "./resolver.js";
import { createStaticResolver } from "./static-resolver.js";

/** What the dns resolver uses from the world; tests replace it. */
export interface DnsResolverInternals {
  readonly queries?: DnsQueriesFactory;
  /** This machine's name for `clientHostname` (default `os.hostname()`). */
  readonly hostname?: () => string;
  /** A number in [0, 1) for the `percentage` draw (default `Math.random`). */
  readonly random?: () => number;
}

interface DnsTarget extends HostPort {
  /** The DNS server as `ip:port` / `[ipv6]:port`, or undefined for the system resolver. */
  readonly server: string | undefined;
}

const DNS_PORT = 53;
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

function parseDnsTarget(target: ParsedTarget): DnsTarget {
  const where = `target "${target.text}"`;
  if (target.endpoint === "") throw new TypeError(`${where} has no host`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(target.endpoint);
  if (scheme !== null)
    throw new TypeError(`${where}: the scheme "${scheme[1]}" is not in the channel's resolver registry`);
  const { host, port } = splitHostPort(target.endpoint, where);
  if (isIP(host) === 0 && !isDnsName(host))
    throw new TypeError(`${where}: "${host}" is not a host name or an IP address`);
  if (target.authority === "") return { host, port, server: undefined };
  const server = splitHostPort(target.authority, where, DNS_PORT);
  if (isIP(server.host) === 0)
    throw new TypeError(`${where}: the DNS server "${target.authority}" is not an IP address[:port]`);
  return { host, port, server: joinHostPort(server.host, server.port) };
}

function isDnsName(name: string): boolean {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  return bare.length > 0 && bare.length <= 253 && bare.split(".").every((label) => LABEL.test(label));
}

export function createDnsResolverFactory(internals: DnsResolverInternals = {}): ResolverFactory {
  const queries = internals.queries ?? nodeDnsQueries;
  const hostnameOf = internals.hostname ?? hostname;
  const random = internals.random ?? Math.random;
  return {
    scheme: "dns",
    create(target, options) {
      const parsed = parseDnsTarget(target);
      if (isIP(parsed.host) !== 0)
        return createStaticResolver({
          endpoints: [{ addresses: [{ host: parsed.host, port: parsed.port }] }],
        });
      const client: ClientIdentity = { hostname: hostnameOf(), percentile: Math.floor(random() * 100) };
      return new DnsResolver(parsed, options, queries(parsed.server), client);
    },
    defaultAuthority(target) {
      parseDnsTarget(target);
      return target.endpoint;
    },
  };
}

export const dnsResolverFactory: ResolverFactory = createDnsResolverFactory();

type Outcome =
  | { readonly ok: true; readonly result: ResolverResult }
  | { readonly ok: false; readonly error: RpcError };

class DnsResolver implements Resolver {
  readonly #target: DnsTarget;
  readonly #options: ResolverOptions;
  readonly #queries: DnsQueries;
  readonly #client: ClientIdentity;
  #listener: ResolverListener | undefined;
  #closed = false;
  #inFlight = false;
  #lastStart: number | undefined;
  #timer: { readonly handle: TimerHandle; readonly due: number } | undefined;

  constructor(target: DnsTarget, options: ResolverOptions, queries: DnsQueries, client: ClientIdentity) {
    this.#target = target;
    this.#options = options;
    this.#queries = queries;
    this.#client = client;
  }

  start(listener: ResolverListener): void {
    if (this.#listener !== undefined) throw new Error("resolver already started");
    this.#listener = listener;
    if (!this.#closed) void this.#resolve();
  }

  resolveNow(): void {
    if (this.#closed || this.#lastStart === undefined || this.#inFlight) return;
    const now = this.#options.clock.now();
    const earliest = this.#lastStart + this.#options.dnsMinResolutionIntervalMs;
    if (earliest <= now) void this.#resolve();
    else if (this.#timer === undefined || this.#timer.due > earliest) this.#schedule(earliest - now);
  }

  close(): void {
    this.#closed = true;
    this.#cancelTimer();
    this.#queries.cancel();
  }

  #schedule(ms: number): void {
    this.#cancelTimer();
    const handle = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#resolve();
    }, ms);
    handle.unref();
    this.#timer = { handle, due: this.#options.clock.now() + ms };
  }

  #cancelTimer(): void {
    this.#timer?.handle.cancel();
    this.#timer = undefined;
  }

  async #resolve(): Promise<void> {
    this.#cancelTimer();
    this.#inFlight = true;
    const started = this.#options.clock.now();
    this.#lastStart = started;
    const outcome = await this.#query();
    this.#inFlight = false;
    if (this.#closed) return;
    const period = this.#options.dnsPeriodicResolutionMs;
    if (period !== undefined && this.#timer === undefined)
      this.#schedule(Math.max(0, started + period - this.#options.clock.now()));
    if (outcome.ok) this.#listener!.onResult(outcome.result);
    else this.#listener!.onError(outcome.error);
  }

  async #query(): Promise<Outcome> {
    const { host, port, server } = this.#target;
    const [addresses, txt] = await Promise.allSettled([
      this.#queries.addresses(host),
      this.#options.dnsServiceConfig ? this.#queries.txt(`_grpc_config.${host}`) : Promise.resolve([]),
    ]);
    const by = server === undefined ? "" : ` (DNS server ${server})`;
    if (addresses.status === "rejected") {
      const message = `DNS resolution of "${host}" failed: ${messageOf(addresses.reason)}${by}`;
      return { ok: false, error: new RpcError(Code.UNAVAILABLE, message, { cause: addresses.reason }) };
    }
    const result: ResolverResult = {
      endpoints: addresses.value.map((address) => ({ addresses: [{ host: address, port }] })),
      note: server === undefined ? "resolved by the system resolver" : `resolved by ${server}`,
      ...this.#serviceConfig(txt, by),
    };
    return { ok: true, result };
  }

  /** The TXT answer as the result's service config fields (none when there is no record). */
  #serviceConfig(
    txt: PromiseSettledResult<readonly (readonly string[])[]>,
    by: string,
  ): { serviceConfig?: object; serviceConfigError?: RpcError } {
    const name = `_grpc_config.${this.#target.host}`;
    let message: string;
    let cause: unknown;
    if (txt.status === "rejected") {
      if (isNoRecord(txt.reason)) return {};
      message = `TXT lookup of "${name}" failed: ${messageOf(txt.reason)}${by}`;
      cause = txt.reason;
    } else {
      try {
        const serviceConfig = serviceConfigFromTxt(txt.value, this.#client);
        return serviceConfig === undefined ? {} : { serviceConfig };
      } catch (e) {
        message = `invalid service config in "${name}": ${messageOf(e)}`;
        cause = e;
      }
    }
    return { serviceConfigError: new RpcError(Code.UNAVAILABLE, message, { cause }) };
  }
}

function messageOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
