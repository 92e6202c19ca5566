/**
 * `passthrough:///host:port`: the endpoint is the one address, unresolved. The host goes to the
 * socket as it is, so the operating system resolves it when the connection is made (each
 * connection attempt asks it again); the port defaults to 443. The `:authority` is the endpoint
 * as written.
 */
import { splitHostPort } from "./host-port.js";
import type { ParsedTarget, ResolverFactory } from "./resolver.js";
import { createStaticResolver } from "./static-resolver.js";
import { rejectAuthority } from "./target.js";

function address(target: ParsedTarget): { host: string; port: number } {
  rejectAuthority(target);
  if (target.endpoint === "") throw new TypeError(`target "${target.text}" has no host`);
  const { host, port } = splitHostPort(target.endpoint, `target "${target.text}"`);
  return { host, port };
}

export const passthroughResolverFactory: ResolverFactory = {
  scheme: "passthrough",
  create: (target) => createStaticResolver({ endpoints: [{ addresses: [address(target)] }] }),
  defaultAuthority(target) {
    address(target);
    return target.endpoint;
  },
};
