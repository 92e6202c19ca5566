import type { JsonValue } from "@bufbuild/protobuf";
import { usageError } from "./failure.js";

/**
 * Splits text that arrives in chunks into the JSON objects it holds, one after another with any
 * whitespace (or none) between them: `{"a":1} {"a":2}` or one object per line. Only the brackets
 * and strings are tracked here; each object's text is then parsed with `JSON.parse`, so every
 * syntax error is reported with the request's number.
 */
export class JsonObjectSplitter {
  #buffer = "";
  #scan = 0;
  #start = -1;
  #depth = 0;
  #inString = false;
  #escape = false;
  #count = 0;

  /** Adds text; returns the objects completed by it, parsed. Throws a usage error on bad input. */
  push(chunk: string): JsonValue[] {
    this.#buffer += chunk;
    const out: JsonValue[] = [];
    const b = this.#buffer;
    for (let i = this.#scan; i < b.length; i++) {
      const c = b[i]!;
      if (this.#start < 0) {
        if (c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\ufeff") continue;
        if (c !== "{") {
          throw usageError(
            `malformed JSON in request ${this.#count + 1}: expected an object ("{"), got ${JSON.stringify(
              b.slice(i, i + 20),
            )}`,
          );
        }
        this.#start = i;
        this.#depth = 1;
        continue;
      }
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === "\\") this.#escape = true;
        else if (c === '"') this.#inString = false;
        continue;
      }
      if (c === '"') this.#inString = true;
      else if (c === "{" || c === "[") this.#depth++;
      else if (c === "}" || c === "]") {
        this.#depth--;
        if (this.#depth === 0) {
          out.push(this.#parse(b.slice(this.#start, i + 1)));
          this.#start = -1;
        }
      }
    }
    if (this.#start < 0) {
      this.#buffer = "";
      this.#scan = 0;
    } else {
      this.#buffer = b.slice(this.#start);
      this.#scan = this.#buffer.length;
      this.#start = 0;
    }
    return out;
  }

  /** Ends the input; throws a usage error when an object was left incomplete. */
  end(): void {
    if (this.#start >= 0) {
      throw usageError(`malformed JSON in request ${this.#count + 1}: the input ends inside the object`);
    }
  }

  /** How many objects were completed so far. */
  get count(): number {
    return this.#count;
  }

  #parse(text: string): JsonValue {
    this.#count++;
    try {
      return JSON.parse(text) as JsonValue;
    } catch (e) {
      throw usageError(
        `malformed JSON in request ${this.#count}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
}

/** Every JSON object in `text`. */
export function parseJsonObjects(text: string): JsonValue[] {
  const splitter = new JsonObjectSplitter();
  const out = splitter.push(text);
  splitter.end();
  return out;
}
