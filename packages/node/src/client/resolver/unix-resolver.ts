/**
 * Unix domain sockets (naming.md): `unix:path` (relative or absolute), `unix:///absolute/path`
 * (the authority is empty), and `unix-abstract:name` for Linux's abstract namespace, whose
 * socket address is the name after a NUL byte. The `:authority` of requests is `localhost`.
 */
import type { ParsedTarget, ResolverFactory } from "./resolver.js";
import { createStaticResolver } from "./static-resolver.js";
import { hasAuthoritySection, rejectAuthority } from "./target.js";

function socketPath(target: ParsedTarget): string {
  rejectAuthority(target);
  const path = hasAuthoritySection(target) ? `/${target.endpoint}` : target.endpoint;
  if (path === "" || path === "/") throw new TypeError(`target "${target.text}" has no socket path`);
  if (path.includes("\0"))
    throw new TypeError(`target "${target.text}": the socket path contains a NUL byte`);
  return path;
}

function abstractName(target: ParsedTarget): string {
  if (hasAuthoritySection(target))
    throw new TypeError(`target "${target.text}": write an abstract socket as unix-abstract:name`);
  const name = target.endpoint;
  if (name === "") throw new TypeError(`target "${target.text}" has no abstract socket name`);
  if (name.includes("\0"))
    throw new TypeError(`target "${target.text}": the abstract name contains a NUL byte`);
  return `\0${name}`;
}

function createSocketResolverFactory(
  scheme: string,
  pathOf: (target: ParsedTarget) => string,
): ResolverFactory {
  return {
    scheme,
    create: (target) => createStaticResolver({ endpoints: [{ addresses: [{ path: pathOf(target) }] }] }),
    defaultAuthority(target) {
      pathOf(target);
      return "localhost";
    },
  };
}

export const unixResolverFactory: ResolverFactory = createSocketResolverFactory("unix", socketPath);
export const unixAbstractResolverFactory: ResolverFactory = createSocketResolverFactory(
  "unix-abstract",
  abstractName,
);
