/**
 * The DNS questions the dns resolver asks, behind a small interface so that its unit tests can
 * answer them without a network.
 *
 * With a DNS server (`dns://127.0.0.1:5353/name`) the A and AAAA records come from that server;
 * without one the system resolver answers (`getaddrinfo`, which reads /etc/hosts and
 * nsswitch.conf, where a plain DNS query would not). TXT records always come from DNS: the
 * given server, or the system's servers from resolv.conf.
 */
import { promises as dns } from "node:dns";

export interface DnsQueries {
  /** The host's addresses, in the order to try them; rejects when there are none. */
  addresses(host: string): Promise<readonly string[]>;
  /** The TXT records of `name`, each as its strings (RFC 1035 splits long ones). */
  txt(name: string): Promise<readonly (readonly string[])[]>;
  /** Abandons the questions in flight (their answers are no longer wanted). */
  cancel(): void;
}

/** Makes the queries for one resolver; `server` is `ip:port` or `[ipv6]:port`, or undefined. */
export type DnsQueriesFactory = (server: string | undefined) => DnsQueries;

export const nodeDnsQueries: DnsQueriesFactory = (server) => {
  const resolver = new dns.Resolver();
  if (server !== undefined) resolver.setServers([server]);
  return {
    async addresses(host) {
      if (server === undefined) {
        const found = await dns.lookup(host, { all: true, order: "verbatim" });
        if (found.length === 0) throw new Error(`no addresses for ${host}`);
        return found.map((a) => a.address);
      }
      const [v6, v4] = await Promise.allSettled([resolver.resolve6(host), resolver.resolve4(host)]);
      return mergeFamilies(v6, v4);
    },
    txt: (name) => resolver.resolveTxt(name),
    cancel: () => resolver.cancel(),
  };
};

/** The DNS error codes that mean "the name has no such record", not "the question failed". */
export function isNoRecord(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENODATA" || code === "ENOTFOUND";
}

/**
 * The AAAA and A answers as one list, alternating the families (IPv6 first) and keeping each
 * family's order, as grpc-js does, so that a connection attempt that fails on one family tries
 * the other next. One family's failure is ignored when the other has addresses; with none, the
 * error is the first real failure (a timeout, say) or else the A query's "no such record".
 */
export function mergeFamilies(
  v6: PromiseSettledResult<readonly string[]>,
  v4: PromiseSettledResult<readonly string[]>,
): readonly string[] {
  const a6 = v6.status === "fulfilled" ? v6.value : [];
  const a4 = v4.status === "fulfilled" ? v4.value : [];
  const merged: string[] = [];
  for (let i = 0; i < Math.max(a6.length, a4.length); i++) {
    if (i < a6.length) merged.push(a6[i]!);
    if (i < a4.length) merged.push(a4[i]!);
  }
  if (merged.length > 0) return merged;
  const failures = [v4, v6].flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  throw failures.find((e) => !isNoRecord(e)) ?? failures[0] ?? new Error("no addresses");
}
