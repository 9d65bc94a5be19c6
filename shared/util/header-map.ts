/**
 * Headers a request collects for its response before there is one, kept in JavaScript: the
 * runtime's `Headers` is an object of the runtime, and every call on it crosses into it. Names
 * are case-insensitive, as in `Headers`; they come out lower-cased, as `Headers` gives them.
 */
export class HeaderMap {
  private readonly values = new Map<string, string>();

  set(name: string, value: string): void {
    this.values.set(name.toLowerCase(), value);
  }

  get(name: string): string | null {
    return this.values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.values.has(name.toLowerCase());
  }

  delete(name: string): void {
    this.values.delete(name.toLowerCase());
  }

  forEach(fn: (value: string, name: string) => void): void {
    for (const [name, value] of this.values) fn(value, name);
  }
}

/** What is asked of response headers collected ahead: `Headers` and `HeaderMap` both are. */
export type HeaderSet = Pick<HeaderMap, "set" | "get" | "has" | "delete" | "forEach">;
