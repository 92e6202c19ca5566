import type { ListenTarget } from "../http2/node-server.js";

/**
 * Parses a listen address: `host:port`, `[v6]:port`, `:port` (all interfaces), `unix:/path`
 * or `unix:///path`. Port 0 asks the system for a free port.
 */
export function parseListenAddress(address: string): ListenTarget {
  if (address.startsWith("unix:")) {
    const path = address.startsWith("unix://")
      ? address.slice("unix://".length)
      : address.slice("unix:".length);
    if (path === "") throw new TypeError(`listen address "${address}" has no socket path`);
    return { path };
  }
  let host: string;
  let portText: string;
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    if (close < 0 || address[close + 1] !== ":")
      throw new TypeError(`listen address "${address}" is not [ipv6]:port`);
    host = address.slice(1, close);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(":");
    if (colon < 0) throw new TypeError(`listen address "${address}" has no port (use host:port)`);
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(":"))
      throw new TypeError(`listen address "${address}": write IPv6 hosts as [addr]:port`);
  }
  const port = Number(portText);
  if (portText === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`listen address "${address}" has an invalid port`);
  }
  return { host: host === "" ? "::" : host, port };
}
