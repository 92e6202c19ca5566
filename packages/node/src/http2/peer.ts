import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { TlsInfo } from "@grpc-ts/core";

/** The gRPC peer string of a socket: `ipv4:1.2.3.4:5`, `ipv6:[::1]:5`, or `unix:` for local sockets. */
export function peerOf(socket: Socket | undefined): string {
  if (socket === undefined) return "unknown";
  const addr = socket.remoteAddress;
  if (addr === undefined) return `unix:${(socket as Socket & { _pipeName?: string })._pipeName ?? ""}`;
  return socket.remoteFamily === "IPv6"
    ? `ipv6:[${addr}]:${socket.remotePort}`
    : `ipv4:${addr}:${socket.remotePort}`;
}

/** TLS facts for a handler, or undefined on a plaintext socket. */
export function tlsInfoOf(socket: Socket | undefined): TlsInfo | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const cert = socket.getPeerCertificate();
  const hasCert = cert !== null && typeof cert === "object" && Object.keys(cert).length > 0;
  const protocol = socket.getProtocol();
  return {
    authorized: socket.authorized,
    peerSubject: hasCert ? (cert.subject as unknown as Record<string, string | string[]>) : undefined,
    protocol: protocol ?? undefined,
  };
}
