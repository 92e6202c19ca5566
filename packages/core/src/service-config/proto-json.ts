/**
 * Reading the proto3 JSON form of a message (https://protobuf.dev/programming-guides/json/) the way
 * the service config needs it: fields under their lowerCamelCase JSON name or their original
 * snake_case name, `null` meaning absent, well-known types in their JSON forms. Every reader takes
 * the value's JSON path and throws a ServiceConfigError naming it when the value has the wrong form.
 */
import { codeFromName, isCode } from "../code.js";
import { ServiceConfigError } from "./service-config-error.js";

export type JsonObject = Readonly<Record<string, unknown>>;

/** A field's value and where it is in the document. */
export interface Located {
  readonly value: unknown;
  readonly path: string;
}

export function fail(path: string, reason: string, cause?: unknown): never {
  throw new ServiceConfigError(path, reason, cause === undefined ? undefined : { cause });
}

export function childPath(parent: string, key: string): string {
  return parent === "" ? key : `${parent}.${key}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function readObject(value: unknown, path: string): JsonObject {
  if (!isJsonObject(value)) fail(path, "must be an object");
  return value;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The field `name` (its lowerCamelCase JSON name) of `obj`, found under that name or its
 * snake_case original; undefined when absent or `null`. Giving both spellings is an error.
 */
export function field(obj: JsonObject, path: string, name: string): Located | undefined {
  const snake = snakeCase(name);
  const hasCamel = Object.hasOwn(obj, name) && obj[name] !== null && obj[name] !== undefined;
  const hasSnake =
    snake !== name && Object.hasOwn(obj, snake) && obj[snake] !== null && obj[snake] !== undefined;
  if (hasCamel && hasSnake) fail(childPath(path, name), `given twice, as "${name}" and as "${snake}"`);
  if (hasCamel) return { value: obj[name], path: childPath(path, name) };
  if (hasSnake) return { value: obj[snake], path: childPath(path, snake) };
  return undefined;
}

/** Like `field`, for a field that must be present. */
export function requiredField(obj: JsonObject, path: string, name: string): Located {
  const found = field(obj, path, name);
  if (found === undefined) fail(childPath(path, name), "is required");
  return found;
}

export function readList(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) fail(path, "must be a list");
  return value;
}

export function readString(value: unknown, path: string): string {
  if (typeof value !== "string") fail(path, "must be a string");
  return value;
}

export function readBool(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") fail(path, "must be true or false");
  return value;
}

const UINT32_MAX = 0xffff_ffff;

/** The integer a JSON number or decimal string holds, or undefined when it holds none. */
export function integerOf(value: unknown): number | undefined {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) ? n : undefined;
}

/** A uint32 (or a UInt32Value wrapper): a JSON number or a decimal string. */
export function readUint32(value: unknown, path: string): number {
  const n = integerOf(value);
  if (n === undefined || n < 0 || n > UINT32_MAX) {
    fail(path, `must be an integer from 0 to ${UINT32_MAX} (a number or a decimal string)`);
  }
  return n;
}

const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A float or double: a finite JSON number or a decimal string. */
export function readFloat(value: unknown, path: string): number {
  const n = typeof value === "string" && DECIMAL.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) fail(path, "must be a finite number");
  return n;
}

/** google.protobuf.Duration's JSON form: decimal seconds, up to 9 fractional digits, then `s`. */
const DURATION = /^(-?)(\d*)(?:\.(\d{1,9}))?s$/;
/** The largest Duration (about 10 000 years). */
const DURATION_MAX_SECONDS = 315_576_000_000;

/**
 * A non-negative google.protobuf.Duration (`"1.5s"`, `".1s"`, `"0.000000001s"`) in milliseconds,
 * fractional where the duration is not a whole number of milliseconds.
 */
export function readDurationMs(value: unknown, path: string): number {
  if (typeof value !== "string") fail(path, 'must be a duration string such as "1.5s"');
  const m = DURATION.exec(value);
  if (m === null || (m[2] === "" && m[3] === undefined)) {
    fail(path, `"${value}" is not a duration (decimal seconds with up to 9 fractional digits and an "s")`);
  }
  const seconds = m[2] === "" ? 0 : Number(m[2]);
  const nanos = m[3] === undefined ? 0 : Number(m[3].padEnd(9, "0"));
  if (seconds > DURATION_MAX_SECONDS) fail(path, `"${value}" is longer than the longest Duration`);
  if (m[1] === "-" && (seconds > 0 || nanos > 0)) fail(path, `"${value}" must not be negative`);
  return seconds * 1000 + nanos / 1e6;
}

/** A google.rpc.Code: its name in any case (`"UNAVAILABLE"`, `"unavailable"`) or its number. */
export function readStatusCode(value: unknown, path: string): number {
  if (typeof value === "number") {
    if (!isCode(value)) fail(path, `unknown status code ${value}`);
    return value;
  }
  if (typeof value === "string") {
    const code = codeFromName(value);
    if (code === undefined) fail(path, `unknown status code "${value}"`);
    return code;
  }
  return fail(path, "must be a status code name or number");
}

/** A list of status codes, without repeats, in the order given. */
export function readStatusCodes(value: unknown, path: string): readonly number[] {
  const codes: number[] = [];
  readList(value, path).forEach((item, i) => {
    const code = readStatusCode(item, indexPath(path, i));
    if (!codes.includes(code)) codes.push(code);
  });
  return codes;
}
