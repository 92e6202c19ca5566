/**
 * Channel targets (naming.md): a URI `scheme:[//authority/]endpoint` whose scheme names a resolver
 * in the channel's registry. A target with no scheme, or with one the registry does not know
 * (`localhost:50051`, `127.0.0.1:5`, `[::1]:5`, `myhost:443`), is a `dns` target whose endpoint
 * is the whole text, as grpc-go and C-core do with their default scheme.
 *
 * The scheme is case-insensitive (RFC 3986) and reported in lower case. Percent-encoding is not
 * decoded, and `?` and `#` are not special: the endpoint is the text as written, so a socket path
 * or a name reaches its resolver unchanged.
 */

import type { ResolverRegistry } from "./registry.js";
import type { ParsedTarget } from "./resolver.js";

export const DEFAULT_SCHEME = "dns";

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

export function parseTarget(text: string, registry: ResolverRegistry): ParsedTarget {
  if (text === "") throw new TypeError("the channel target is empty");
  const match = SCHEME.exec(text);
  const scheme = match?.[1]?.toLowerCase();
  if (match === null || scheme === undefined || !registry.has(scheme)) {
    return { scheme: DEFAULT_SCHEME, authority: "", endpoint: text, text };
  }
  const rest = text.slice(match[0].length);
  if (!rest.startsWith("//")) return { scheme, authority: "", endpoint: rest, text };
  const slash = rest.indexOf("/", 2);
  return slash < 0
    ? { scheme, authority: rest.slice(2), endpoint: "", text }
    : { scheme, authority: rest.slice(2, slash), endpoint: rest.slice(slash + 1), text };
}

/**
 * Whether the target was written with `//authority/` (even an empty one): `unix:///tmp/s` has
 * the absolute path `/tmp/s`, whereas `unix:tmp/s` has the relative path `tmp/s`.
 */
export function hasAuthoritySection(target: ParsedTarget): boolean {
  const prefix = `${target.scheme}:`;
  return target.text.toLowerCase().startsWith(prefix) && target.text.startsWith("//", prefix.length);
}

/** A TypeError if the target has a non-empty authority (schemes that take none). */
export function rejectAuthority(target: ParsedTarget): void {
  if (target.authority !== "")
    throw new TypeError(
      `target "${target.text}": the ${target.scheme} scheme takes no authority ("${target.authority}")`,
    );
}
