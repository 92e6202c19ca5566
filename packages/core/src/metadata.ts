import { base64Decode, base64Encode } from "./base64.js";
import { Code } from "./code.js";
import type { HeaderFields } from "./header-fields.js";
import { RpcError } from "./rpc-error.js";

/** A metadata value: text for ordinary keys, bytes for keys ending in `-bin`. */
export type MetadataValue<K extends string = string> = K extends `${string}-bin` ? Uint8Array : string;
type AnyValue = string | Uint8Array;

/** Headers as an HTTP/2 library hands them over: one string or several per name. */
export type RawHeaders = Readonly<Record<string, string | readonly string[] | number | undefined>>;

export type MetadataInit =
  | Metadata
  | Readonly<Record<string, AnyValue | readonly AnyValue[]>>
  | Iterable<readonly [string, AnyValue]>;

/**
 * Keys the gRPC protocol itself owns. They never appear in user metadata and cannot be set in it.
 * (Other `grpc-` keys such as `grpc-trace-bin` pass through.)
 */
const reserved = new Set([
  "content-type",
  "te",
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "grpc-timeout",
  "grpc-encoding",
  "grpc-accept-encoding",
  "grpc-message-type",
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
]);

/** True for a key that the protocol owns (pseudo-headers included). */
export function isReservedKey(key: string): boolean {
  return key.charCodeAt(0) === 58 /* : */ || reserved.has(key);
}

/** Legal key characters: 0-9 a-z _ - . (keys are lower-cased before the check). */
function isValidKey(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46)) return false;
  }
  return true;
}

/** Legal ASCII values: printable 0x20-0x7E. */
function isValidAsciiValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

export function isBinaryKey(key: string): boolean {
  return key.endsWith("-bin");
}

/**
 * gRPC metadata (headers and trailers): case-insensitive keys, several values per key, text values
 * for ordinary keys and byte values for `-bin` keys (sent base64-encoded).
 */
export class Metadata implements Iterable<[string, AnyValue]> {
  /** Made on the first write: most calls carry no metadata, and then no Map is allocated. */
  #map: Map<string, AnyValue[]> | undefined;

  #writable(): Map<string, AnyValue[]> {
    this.#map ??= new Map();
    return this.#map;
  }

  constructor(init?: MetadataInit) {
    if (init === undefined) return;
    if (init instanceof Metadata) {
      if (init.#map !== undefined) for (const [k, vs] of init.#map) this.#writable().set(k, vs.slice());
    } else if (Symbol.iterator in init) {
      for (const [k, v] of init as Iterable<readonly [string, AnyValue]>) this.#add(k, v);
    } else {
      for (const [k, v] of Object.entries(init)) {
        if (Array.isArray(v)) for (const one of v as readonly AnyValue[]) this.#add(k, one);
        else this.#add(k, v as AnyValue);
      }
    }
  }

  /** The first value of a key. */
  get<K extends string>(key: K): MetadataValue<K> | undefined {
    return this.#map?.get(key.toLowerCase())?.[0] as MetadataValue<K> | undefined;
  }

  /** Every value of a key, in the order they were added. */
  getAll<K extends string>(key: K): MetadataValue<K>[] {
    return (this.#map?.get(key.toLowerCase())?.slice() ?? []) as MetadataValue<K>[];
  }

  has(key: string): boolean {
    return this.#map?.has(key.toLowerCase()) ?? false;
  }

  /** Replaces all values of a key. */
  set<K extends string>(key: K, value: MetadataValue<K>): this {
    const k = checkEntry(key, value);
    this.#writable().set(k, [value]);
    return this;
  }

  /** Adds a value to a key. */
  append<K extends string>(key: K, value: MetadataValue<K>): this {
    this.#add(key, value);
    return this;
  }

  #add(key: string, value: AnyValue): void {
    this.#push(checkEntry(key, value), value);
  }

  delete(key: string): boolean {
    return this.#map?.delete(key.toLowerCase()) ?? false;
  }

  clear(): void {
    this.#map?.clear();
  }

  /** The number of distinct keys. */
  get size(): number {
    return this.#map?.size ?? 0;
  }

  keys(): IterableIterator<string> {
    return (this.#map ?? emptyMap).keys();
  }

  /** Every key and value pair; a key with several values yields several pairs. */
  *[Symbol.iterator](): IterableIterator<[string, AnyValue]> {
    if (this.#map !== undefined) for (const [k, vs] of this.#map) for (const v of vs) yield [k, v];
  }

  /** Appends every entry of another metadata. */
  merge(other: Metadata): this {
    if (other.#map === undefined) return this;
    const map = this.#writable();
    for (const [k, vs] of other.#map) {
      const list = map.get(k);
      if (list === undefined) map.set(k, vs.slice());
      else list.push(...vs);
    }
    return this;
  }

  clone(): Metadata {
    return new Metadata(this);
  }

  /** A plain object for logs: `-bin` values base64-encoded, several values as an array. */
  toJSON(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, vs] of this.#map ?? emptyMap) {
      const texts = vs.map((v) => (typeof v === "string" ? v : base64Encode(v)));
      out[k] = texts.length === 1 ? texts[0]! : texts;
    }
    return out;
  }

  /**
   * Writes the metadata into an HTTP/2 header object, `-bin` values base64-encoded (unpadded, as the
   * spec recommends). Reserved keys cannot be in a Metadata, so none are written.
   */
  writeHeaders(target: Record<string, string | string[]>): void {
    if (this.#map === undefined) return;
    for (const [k, vs] of this.#map) {
      if (vs.length === 1) target[k] = encodeValue(vs[0]!);
      else target[k] = vs.map(encodeValue);
    }
  }

  /**
   * Metadata from received HTTP/2 headers: pseudo-headers and protocol keys are left out, `-bin`
   * values are base64-decoded (padded or not; several values may be joined by commas), and entries
   * that are not valid metadata are dropped rather than failing the call.
   */
  static fromHeaders(headers: RawHeaders): Metadata {
    const md = new Metadata();
    for (const key in headers) {
      const raw = headers[key];
      if (raw === undefined) continue;
      const k = key.toLowerCase();
      if (isReservedKey(k) || !isValidKey(k)) continue;
      if (typeof raw !== "object") md.#pushReceived(k, String(raw));
      else for (const v of raw) md.#pushReceived(k, v);
    }
    return md;
  }

  /** Metadata from received header fields (header-fields.ts), with the rules of `fromHeaders`. */
  static fromFields(fields: HeaderFields): Metadata {
    const md = new Metadata();
    for (let i = 0; i < fields.length; i += 2) {
      const k = fields[i]!;
      if (isReservedKey(k) || !isValidKey(k)) continue;
      md.#pushReceived(k, fields[i + 1]!);
    }
    return md;
  }

  /** Appends the metadata to a field list as `writeHeaders` writes it, one field per value. */
  appendFields(out: string[]): void {
    if (this.#map === undefined) return;
    for (const [k, vs] of this.#map) for (const v of vs) out.push(k, encodeValue(v));
  }

  /** One received value: `-bin` ones base64-decoded (several may be joined by commas). */
  #pushReceived(k: string, v: string): void {
    if (isBinaryKey(k)) {
      for (const part of v.split(",")) {
        try {
          this.#push(k, base64Decode(part.trim()));
        } catch {
          // An undecodable -bin value is dropped, as other implementations do.
        }
      }
    } else if (isValidAsciiValue(v)) {
      this.#push(k, v);
    }
  }

  #push(k: string, v: AnyValue): void {
    const map = this.#writable();
    const list = map.get(k);
    if (list === undefined) map.set(k, [v]);
    else list.push(v);
  }
}

const emptyMap: ReadonlyMap<string, AnyValue[]> = new Map();

function encodeValue(v: AnyValue): string {
  if (typeof v === "string") return v;
  const b64 = base64Encode(v);
  let end = b64.length;
  while (end > 0 && b64.charCodeAt(end - 1) === 61) end--;
  return b64.slice(0, end);
}

function checkEntry(key: string, value: AnyValue): string {
  const k = key.toLowerCase();
  if (!isValidKey(k)) {
    throw new RpcError(Code.INTERNAL, `metadata key "${key}" is not valid: use only 0-9 a-z _ - .`);
  }
  if (isReservedKey(k)) {
    throw new RpcError(Code.INTERNAL, `metadata key "${key}" is reserved for the gRPC protocol`);
  }
  if (isBinaryKey(k)) {
    if (!(value instanceof Uint8Array)) {
      throw new RpcError(Code.INTERNAL, `metadata key "${key}" ends in -bin and takes a Uint8Array value`);
    }
  } else if (typeof value !== "string" || !isValidAsciiValue(value)) {
    throw new RpcError(
      Code.INTERNAL,
      `metadata value for "${key}" must be printable ASCII text (use a -bin key for bytes)`,
    );
  }
  return k;
}
