/**
 * `ipv4:addr[:port][,addr[:port]...]` and `ipv6:addr[,[addr]:port...]` (naming.md): fixed lists
 * of IP addresses, each its own endpoint, port 443 by default. Every entry must be an address of
 * the scheme's family; the list is delivered once.
 */
import { isIPv4, isIPv6 } from "node:net";
import { type HostPort, joinHostPort, splitHostPort } from "./host-port.js";
import type { Endpoint, ParsedTarget, ResolverFactory } from "./resolver.js";
import { createStaticResolver } from "./static-resolver.js";
import { rejectAuthority } from "./target.js";

function createIpResolverFactory(
  scheme: "ipv4" | "ipv6",
  isFamily: (host: string) => boolean,
): ResolverFactory {
  const addresses = (target: ParsedTarget): HostPort[] => {
    rejectAuthority(target);
    const where = `target "${target.text}"`;
    if (target.endpoint === "") throw new TypeError(`${where} lists no address`);
    return target.endpoint.split(",").map((entry) => {
      const address = splitHostPort(entry, where);
      if (!isFamily(address.host)) throw new TypeError(`${where}: "${entry}" is not an ${scheme} address`);
      return address;
    });
  };
  return {
    scheme,
    create(target) {
      const endpoints: Endpoint[] = addresses(target).map((a) => ({
        addresses: [{ host: a.host, port: a.port }],
      }));
      return createStaticResolver({ endpoints });
    },
    defaultAuthority(target) {
      const first = addresses(target)[0]!;
      return joinHostPort(first.host, first.port);
    },
  };
}

export const ipv4ResolverFactory: ResolverFactory = createIpResolverFactory("ipv4", isIPv4);
export const ipv6ResolverFactory: ResolverFactory = createIpResolverFactory("ipv6", isIPv6);
