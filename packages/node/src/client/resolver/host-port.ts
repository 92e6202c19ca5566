/**
 * `host[:port]` as gRPC targets write it (naming.md): a name or an IPv4 address with an optional
 * port, an IPv6 address in brackets (`[::1]:50051`, `[::1]`), or a bare IPv6 address without a
 * port (`::1`). The port defaults to 443.
 */
import { isIPv6 } from "node:net";

export const DEFAULT_PORT = 443;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Splits `text`; a TypeError names `where` (the target) and what is wrong. */
export function splitHostPort(text: string, where: string, defaultPort = DEFAULT_PORT): HostPort {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new TypeError(`${where}: "${text}" has an unclosed "["`);
    host = text.slice(1, close);
    if (!isIPv6(host)) throw new TypeError(`${where}: "${host}" in brackets is not an IPv6 address`);
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) throw new TypeError(`${where}: "${text}" has "${rest}" after "]"`);
      portText = rest.slice(1);
    }
  } else {
    const first = text.indexOf(":");
    if (first < 0) {
      host = text;
    } else if (first === text.lastIndexOf(":")) {
      host = text.slice(0, first);
      portText = text.slice(first + 1);
    } else if (isIPv6(text)) {
      host = text;
    } else {
      throw new TypeError(
        `${where}: "${text}" has several ":" (an IPv6 address with a port goes in brackets)`,
      );
    }
  }
  if (host === "") throw new TypeError(`${where}: "${text}" has no host`);
  return { host, port: portText === undefined ? defaultPort : parsePort(portText, where) };
}

/** A decimal port from 1 to 65535. */
export function parsePort(text: string, where: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw new TypeError(`${where}: invalid port "${text}"`);
  return port;
}

/** `host:port`, with an IPv6 host in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
