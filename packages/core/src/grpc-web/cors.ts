/**
 * CORS for gRPC-Web calls from browser pages of other origins (PROTOCOL-WEB.md "CORS preflight",
 * and the Fetch standard's CORS protocol). Without `cors` in the server options no CORS header is
 * ever sent, so browsers allow only same-origin calls.
 */
import { fieldValue, type HeaderFields } from "../header-fields.js";

export interface CorsOptions {
  /**
   * Which page origins may call: `*` for any, a list of exact origins
   * (`https://app.example.com`) or patterns, or a predicate.
   */
  readonly allowedOrigins: "*" | readonly (string | RegExp)[] | ((origin: string) => boolean);
  /** Allow cookies and HTTP authentication (`Access-Control-Allow-Credentials: true`); default false. */
  readonly allowCredentials?: boolean;
  /** Request headers always allowed, besides the gRPC-Web ones and those a preflight asks for. */
  readonly allowedHeaders?: readonly string[];
  /** Response headers always exposed, besides the gRPC status ones and every header a response has. */
  readonly exposedHeaders?: readonly string[];
  /** How long a browser may cache a preflight answer (default 7200 s, Chromium's upper bound). */
  readonly maxAgeSeconds?: number;
}

/** Request headers a gRPC-Web client sends. */
const webRequestHeaders = [
  "content-type",
  "x-grpc-web",
  "x-user-agent",
  "grpc-timeout",
  "grpc-encoding",
  "grpc-accept-encoding",
];
/** Status headers a trailers-only response carries, exposed on every response. */
const statusHeaders = ["grpc-status", "grpc-message", "grpc-status-details-bin"];
/** Response headers a page can read without exposure, or that are CORS's own. */
const notExposed = new Set(["content-type", "vary", "date"]);

export interface Cors {
  /**
   * The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`): status and headers;
   * 403 without CORS headers when the origin is not allowed.
   */
  preflight(request: HeaderFields): HeaderFields;
  /** For a call from `origin`: appends the CORS fields to a response's fields; undefined when not allowed. */
  forOrigin(origin: string | undefined): ((fields: string[]) => void) | undefined;
}

export function createCors(options: CorsOptions): Cors {
  const allowed = options.allowedOrigins;
  const isAllowed = (origin: string): boolean =>
    allowed === "*"
      ? true
      : typeof allowed === "function"
        ? allowed(origin)
        : allowed.some((a) => (typeof a === "string" ? a === origin : a.test(origin)));
  const credentials = options.allowCredentials === true;
  // With credentials the origin must be named, never `*` (Fetch standard).
  const allowOrigin = (origin: string): string => (allowed === "*" && !credentials ? "*" : origin);
  const extraAllowed = (options.allowedHeaders ?? []).map((h) => h.toLowerCase());
  const extraExposed = (options.exposedHeaders ?? []).map((h) => h.toLowerCase());
  const maxAge = String(options.maxAgeSeconds ?? 7200);

  function base(origin: string, out: string[]): void {
    const value = allowOrigin(origin);
    out.push("access-control-allow-origin", value);
    if (credentials) out.push("access-control-allow-credentials", "true");
    if (value !== "*") out.push("vary", "Origin");
  }

  return {
    preflight(request) {
      const origin = fieldValue(request, "origin");
      if (origin === undefined || !isAllowed(origin)) return [":status", "403"];
      const out: string[] = [":status", "204"];
      const value = allowOrigin(origin);
      out.push("access-control-allow-origin", value);
      if (credentials) out.push("access-control-allow-credentials", "true");
      const requested = (fieldValue(request, "access-control-request-headers") ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== "");
      out.push(
        "access-control-allow-methods",
        "POST, OPTIONS",
        "access-control-allow-headers",
        [...new Set([...webRequestHeaders, ...extraAllowed, ...requested])].join(", "),
        "access-control-max-age",
        maxAge,
        "vary",
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      );
      return out;
    },
    forOrigin(origin) {
      if (origin === undefined || !isAllowed(origin)) return undefined;
      return (fields) => {
        const expose = new Set([...statusHeaders, ...extraExposed]);
        for (let i = 0; i < fields.length; i += 2) {
          const k = fields[i]!;
          if (k.charCodeAt(0) !== 58 /* : */ && !notExposed.has(k) && !k.startsWith("access-control-"))
            expose.add(k);
        }
        base(origin, fields);
        fields.push("access-control-expose-headers", [...expose].join(", "));
      };
    },
  };
}
