/**
 * The interop programs' flags, in the conventional `--name=value` form of grpc/grpc's interop
 * clients and servers (`--use_tls=true`, `--server_port=8080`). `--name value` and a bare `--flag`
 * (meaning `true`) are accepted too.
 */
export class Flags {
  readonly #values: Map<string, string>;
  readonly #known: ReadonlySet<string>;

  constructor(argv: readonly string[], known: readonly string[]) {
    this.#known = new Set(known);
    this.#values = new Map();
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (!arg.startsWith("--"))
        throw new Error(`unexpected argument "${arg}" (flags look like --name=value)`);
      const eq = arg.indexOf("=");
      let name: string;
      let value: string;
      if (eq >= 0) {
        name = arg.slice(2, eq);
        value = arg.slice(eq + 1);
      } else {
        name = arg.slice(2);
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith("--")) {
          value = next;
          i++;
        } else {
          value = "true";
        }
      }
      if (!this.#known.has(name))
        throw new Error(
          `unknown flag --${name} (known: ${[...this.#known].map((k) => `--${k}`).join(", ")})`,
        );
      this.#values.set(name, value);
    }
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    return this.#values.get(name) ?? fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.#values.get(name);
    if (v === undefined) return fallback;
    if (v === "true" || v === "1") return true;
    if (v === "false" || v === "0") return false;
    throw new Error(`--${name} must be true or false, not "${v}"`);
  }

  port(name: string, fallback?: number): number {
    const v = this.#values.get(name);
    if (v === undefined) {
      if (fallback === undefined) throw new Error(`--${name} is required`);
      return fallback;
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new Error(`--${name} must be a port number, not "${v}"`);
    return n;
  }
}
