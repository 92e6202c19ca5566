/**
 * How a client connection reaches its server, for both engines: the address forms, the TLS
 * options, and the socket itself (TCP or a unix socket, with TLS offering ALPN `h2`, SNI sent
 * for host names only, and the certificate checked against the server name).
 */

import type * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import type { KeepaliveOptions } from "@grpc-ts/http2";
import type { FlowControlWindow } from "./engine.js";

export interface ClientTlsOptions {
  /** PEM CA certificates to trust (default: the system's). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate and key for mutual TLS. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** The name to verify the server's certificate against (and send as SNI); default: the target host. */
  readonly serverName?: string;
  /** Accept any server certificate (tests only). */
  readonly insecureSkipVerify?: boolean;
}

export type ConnectAddress = { readonly host: string; readonly port: number } | { readonly path: string };

export interface ConnectOptions {
  readonly address: ConnectAddress;
  /** `:authority` of requests. */
  readonly authority: string;
  readonly tls: ClientTlsOptions | undefined;
  /** node:http2 only: SETTINGS for its session. */
  readonly settings?: http2.Settings;
  /** Receive windows (engine.ts); node:http2 takes a fixed stream window from it. */
  readonly flowControlWindow?: FlowControlWindow;
  /** Keepalive PINGs (gRFC A8), checked and floored by the channel; undefined: none. */
  readonly keepalive?: KeepaliveOptions;
}

/**
 * Opens the socket to `options.address`: plaintext, or TLS offering ALPN `h2` only. The name the
 * certificate must match (and SNI, which is never an IP address) is `tls.serverName`, else the
 * host of the authority.
 */
export function connectSocket(options: ConnectOptions): net.Socket {
  const { address } = options;
  const t = options.tls;
  if (t === undefined)
    return "path" in address
      ? net.connect(address.path)
      : net.connect({ host: address.host, port: address.port });
  const servername = t.serverName ?? hostOf(options.authority);
  return tls.connect({
    ...("path" in address ? { path: address.path } : { host: address.host, port: address.port }),
    ...(net.isIP(servername) ? {} : { servername }),
    ALPNProtocols: ["h2"],
    ...(t.ca === undefined ? {} : { ca: t.ca as string | Buffer | (string | Buffer)[] }),
    ...(t.cert === undefined ? {} : { cert: t.cert }),
    ...(t.key === undefined ? {} : { key: t.key }),
    rejectUnauthorized: t.insecureSkipVerify !== true,
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername, cert),
  });
}

/** The host of an authority (`host:port`, `[v6]:port`, or a bare host). */
export function hostOf(authority: string): string {
  if (authority.startsWith("[")) return authority.slice(1, authority.indexOf("]"));
  const colon = authority.lastIndexOf(":");
  return colon < 0 ? authority : authority.slice(0, colon);
}
