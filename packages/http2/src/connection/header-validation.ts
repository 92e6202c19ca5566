/**
 * HTTP semantics checked on received field sections (RFC 9113 §8.1.1, §8.2, §8.3): a server's
 * on requests, a client's on responses. A section that fails is malformed: a stream error of type
 * PROTOCOL_ERROR, never shown to the application. Field sections are flat `[name, value, ...]`
 * arrays of Latin-1 strings.
 */

/** Connection-specific fields, which HTTP/2 forbids (§8.2.2); `te` is allowed as `trailers` only. */
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Octets allowed in a field name: visible ASCII except uppercase (§8.2.1 forbids 0x00-0x20,
 * 0x41-0x5a, 0x7f-0xff), and the colon, which only a pseudo-header may start with.
 */
const NAME_OK: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x21; c <= 0x7e; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 0;
  t[0x3a] = 0;
  return t;
})();

/** Whether `name` is a valid regular field name (non-empty, §8.2.1 octets, no colon). */
export function isValidFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || NAME_OK[c] === 0) return false;
  }
  return true;
}

/** Whether `value` is a valid field value: no NUL, CR or LF; no leading or trailing SP/HTAB (§8.2.1). */
export function isValidFieldValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  let c = value.charCodeAt(0);
  if (c === 0x20 || c === 0x09) return false;
  c = value.charCodeAt(n - 1);
  if (c === 0x20 || c === 0x09) return false;
  for (let i = 0; i < n; i++) {
    c = value.charCodeAt(i);
    if (c === 0x00 || c === 0x0a || c === 0x0d || c > 0xff) return false;
  }
  return true;
}

/** What a valid request head says that the connection needs. */
export interface RequestInfo {
  /** The content-length value, or -1 when absent. */
  contentLength: number;
}

/**
 * Checks a request's header section (§8.3.1): pseudo-headers first, each of `:method`,
 * `:scheme`, `:path` exactly once (CONNECT: `:authority` and neither `:scheme` nor `:path`), no
 * other pseudo-header, no duplicate, a non-empty `:path`; regular fields valid, not
 * connection-specific, `te` only `trailers`; `content-length` a single number. Returns an
 * explanation when malformed, else undefined, filling `info`.
 */
export function validateRequestHeaders(fields: readonly string[], info: RequestInfo): string | undefined {
  let method: string | undefined;
  let scheme: string | undefined;
  let path: string | undefined;
  let authority: string | undefined;
  let regular = false;
  info.contentLength = -1;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      switch (name) {
        case ":method":
          if (method !== undefined) return "duplicate :method";
          method = value;
          break;
        case ":scheme":
          if (scheme !== undefined) return "duplicate :scheme";
          scheme = value;
          break;
        case ":path":
          if (path !== undefined) return "duplicate :path";
          path = value;
          break;
        case ":authority":
          if (authority !== undefined) return "duplicate :authority";
          authority = value;
          break;
        default:
          return `pseudo-header ${name} is not one of a request`;
      }
      const problem = checkValue(name, value);
      if (problem !== undefined) return problem;
      continue;
    }
    regular = true;
    const problem = checkRegularField(name, value);
    if (problem !== undefined) return problem;
    if (name === "content-length") {
      if (info.contentLength !== -1) return "duplicate content-length";
      const n = parseContentLength(value);
      if (n < 0) return `invalid content-length ${JSON.stringify(value)}`;
      info.contentLength = n;
    }
  }
  if (method === undefined || method.length === 0) return "missing :method";
  if (method === "CONNECT") {
    if (scheme !== undefined || path !== undefined) return "CONNECT with :scheme or :path";
    if (authority === undefined) return "CONNECT without :authority";
    return undefined;
  }
  if (scheme === undefined || scheme.length === 0) return "missing :scheme";
  if (path === undefined || path.length === 0) return "missing or empty :path";
  return undefined;
}

/** What a valid response head says that the connection needs. */
export interface ResponseInfo {
  /** The `:status` code. */
  status: number;
  /** The content-length value, or -1 when absent. */
  contentLength: number;
}

/**
 * Checks a response's header section (§8.3.2): `:status` (three digits) is the one pseudo-header,
 * exactly once, before the regular fields, which must be valid and not connection-specific (§8.2);
 * `content-length` a single number. Returns an explanation when malformed, else undefined,
 * filling `info`.
 */
export function validateResponseHeaders(fields: readonly string[], info: ResponseInfo): string | undefined {
  let status = -1;
  let regular = false;
  info.contentLength = -1;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      if (name !== ":status") return `pseudo-header ${name} is not one of a response`;
      if (status !== -1) return "duplicate :status";
      status = parseStatus(value);
      if (status < 0) return `invalid :status ${JSON.stringify(value)}`;
      continue;
    }
    regular = true;
    const problem = checkRegularField(name, value);
    if (problem !== undefined) return problem;
    if (name === "content-length") {
      if (info.contentLength !== -1) return "duplicate content-length";
      const n = parseContentLength(value);
      if (n < 0) return `invalid content-length ${JSON.stringify(value)}`;
      info.contentLength = n;
    }
  }
  if (status === -1) return "missing :status";
  info.status = status;
  return undefined;
}

/** Three decimal digits (RFC 9110 §15), 100..999; -1 otherwise. */
function parseStatus(value: string): number {
  if (value.length !== 3) return -1;
  let n = 0;
  for (let i = 0; i < 3; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n >= 100 ? n : -1;
}

/** Checks a trailer section: regular fields only (§8.1), each valid. */
export function validateTrailers(fields: readonly string[]): string | undefined {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.charCodeAt(0) === 0x3a) return `pseudo-header ${name} in trailers`;
    const problem = checkRegularField(name, fields[i + 1]!);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Names and values found valid, so that fields repeated from the HPACK table (the same strings,
 * whose hashes V8 keeps) are not scanned again on every request. Bounded: cleared when full.
 */
const knownNames = new Set<string>();
const knownValues = new Set<string>();
const KNOWN_LIMIT = 4096;

function checkRegularField(name: string, value: string): string | undefined {
  if (!knownNames.has(name)) {
    if (!isValidFieldName(name)) return `invalid field name ${JSON.stringify(name)}`;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
    if (name === "te") {
      if (value !== "trailers") return `te: ${JSON.stringify(value)} (only "trailers" is allowed)`;
    } else {
      if (knownNames.size >= KNOWN_LIMIT) knownNames.clear();
      knownNames.add(name); // valid, and allowed with any valid value
    }
  }
  return checkValue(name, value);
}

function checkValue(name: string, value: string): string | undefined {
  if (knownValues.has(value)) return undefined;
  if (!isValidFieldValue(value)) return `invalid value of ${name}`;
  if (knownValues.size >= KNOWN_LIMIT) knownValues.clear();
  knownValues.add(value);
  return undefined;
}

/** Decimal digits only, at most 15 of them (a safe integer); -1 otherwise. */
function parseContentLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
