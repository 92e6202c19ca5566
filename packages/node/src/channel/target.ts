/**
 * Channel targets, as naming.md names them:
 * `host:port` and `dns:[//authority/]host[:port]` (DNS, default port 443), `ipv4:a.b.c.d[:port],...`,
 * `ipv6:[addr][:port],...`, `unix:path` and `unix:///absolute/path`.
 */
export type Target =
  | { readonly scheme: "dns"; readonly host: string; readonly port: number; readonly authority: string }
  | {
      readonly scheme: "ipv4" | "ipv6";
      readonly addresses: readonly { host: string; port: number }[];
      readonly authority: string;
    }
  | { readonly scheme: "unix"; readonly path: string; readonly authority: string };

const DEFAULT_PORT = 443;

export function parseTarget(target: string): Target {
  if (target.startsWith("unix:")) {
    const path = target.startsWith("unix://") ? target.slice("unix://".length) : target.slice("unix:".length);
    if (path === "") throw new TypeError(`target "${target}" has no socket path`);
    return { scheme: "unix", path, authority: "localhost" };
  }
  if (target.startsWith("ipv4:") || target.startsWith("ipv6:")) {
    const scheme = target.slice(0, 4) as "ipv4" | "ipv6";
    const addresses = target
      .slice(5)
      .split(",")
      .map((a) => splitHostPort(a, target));
    if (addresses.length === 0 || addresses.some((a) => a.host === ""))
      throw new TypeError(`target "${target}" has no address`);
    const first = addresses[0]!;
    return { scheme, addresses, authority: joinHostPort(first.host, first.port) };
  }
  let rest = target;
  if (target.startsWith("dns:")) {
    rest = target.slice(4);
    if (rest.startsWith("//")) {
      const slash = rest.indexOf("/", 2);
      if (slash < 0) throw new TypeError(`target "${target}" is missing the host after the DNS authority`);
      rest = rest.slice(slash + 1);
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new TypeError(
      `target scheme of "${target}" is not supported (use dns:, ipv4:, ipv6:, unix: or host:port)`,
    );
  }
  const { host, port } = splitHostPort(rest, target);
  if (host === "") throw new TypeError(`target "${target}" has no host`);
  return { scheme: "dns", host, port, authority: joinHostPort(host, port) };
}

function splitHostPort(s: string, target: string): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) throw new TypeError(`target "${target}" has an unclosed [ipv6] address`);
    host = s.slice(1, close);
    if (s.length > close + 1) {
      if (s[close + 1] !== ":") throw new TypeError(`target "${target}" is malformed after the ipv6 address`);
      portText = s.slice(close + 2);
    }
  } else {
    const colon = s.lastIndexOf(":");
    if (colon >= 0 && s.indexOf(":") === colon) {
      host = s.slice(0, colon);
      portText = s.slice(colon + 1);
    } else {
      host = s; // no port, or a bare IPv6 address
    }
  }
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    port = Number(portText);
    if (portText === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TypeError(`target "${target}" has an invalid port "${portText}"`);
    }
  }
  return { host, port };
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
