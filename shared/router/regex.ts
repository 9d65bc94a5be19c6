import { err, ok, type Result } from "../util/result";

/*
 * Kong's router runs route regexes with Rust's regex crate (through the ATC router). Lintel runs
 * them with JavaScript's RegExp, so a pattern is taken only when both engines read it the same
 * way: it is translated where the two spell one thing differently (`(?P<name>`, `\A`, `\z`,
 * `\x{...}`) and refused, with the reason, where JavaScript would match differently or Rust would
 * not compile it at all (so Kong would not route with it either).
 */

const CLASS_ESCAPES = new Set(["d", "D", "w", "W", "s", "S"]);
const CONTROL_ESCAPES: Record<string, string> = { t: "\\t", n: "\\n", r: "\\r", f: "\\f", v: "\\v" };
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The JavaScript source of a route regex (without Kong's leading `~`), or why it cannot be one. */
export function translateRegex(pattern: string): Result<string, string> {
  let out = "";
  let i = 0;
  let inClass = false;
  const fail = (why: string) => err(`${why} at position ${i}`);
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "\\") {
      const escaped = translateEscape(pattern, i, inClass);
      if (!escaped.ok) return fail(escaped.error);
      out += escaped.value.js;
      i += escaped.value.length;
      continue;
    }
    if (inClass) {
      if (c === "[") return fail("nested character classes ([[...]], [[:alpha:]]) are not supported");
      if ((c === "&" || c === "-" || c === "~") && pattern[i + 1] === c && pattern[i + 2] !== "]") {
        return fail(`class set operations (${c}${c}) are not supported`);
      }
      if (c === "]") inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      i++;
      if (pattern[i] === "^") {
        out += "^";
        i++;
      }
      // a `]` right after the opening bracket is a literal in Rust; JavaScript needs it escaped
      if (pattern[i] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (c === "(") {
      if (pattern[i + 1] !== "?") {
        out += c;
        i++;
        continue;
      }
      const rest = pattern.slice(i + 2);
      const named = /^P?<([^>]*)>/.exec(rest);
      if (named && !rest.startsWith("<=") && !rest.startsWith("<!")) {
        const name = named[1] ?? "";
        if (!NAME.test(name)) return fail(`capture group name '${name}' is not supported`);
        out += `(?<${name}>`;
        i += 2 + named[0].length;
        continue;
      }
      if (rest.startsWith(":")) {
        out += "(?:";
        i += 3;
        continue;
      }
      if (/^(=|!|<=|<!)/.test(rest)) return fail("look-around assertions are not supported by Kong's router");
      if (rest.startsWith(">")) return fail("atomic groups are not supported by Kong's router");
      return fail("inline flags such as (?i) are not supported");
    }
    if (c === "{") {
      const counted = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (!counted) return fail("a literal '{' must be escaped");
      if (counted[3] !== undefined && counted[3] !== "" && Number(counted[3]) < Number(counted[1])) {
        return fail("invalid repetition range");
      }
      out += counted[0];
      i += counted[0].length;
      if (pattern[i] === "+") return fail("possessive quantifiers are not supported by Kong's router");
      continue;
    }
    if ((c === "*" || c === "+" || c === "?") && pattern[i + 1] === "+") {
      return fail("possessive quantifiers are not supported by Kong's router");
    }
    out += c;
    i++;
  }
  if (inClass) return err("unclosed character class");
  try {
    new RegExp(out);
  } catch (e) {
    return err((e as Error).message);
  }
  return ok(out);
}

function translateEscape(
  pattern: string,
  at: number,
  inClass: boolean,
): Result<{ js: string; length: number }, string> {
  const next = pattern[at + 1];
  if (next === undefined) return err("trailing backslash");
  if (/[0-9]/.test(next)) return err("backreferences are not supported by Kong's router");
  if (CLASS_ESCAPES.has(next)) return ok({ js: `\\${next}`, length: 2 });
  if (next in CONTROL_ESCAPES) return ok({ js: CONTROL_ESCAPES[next] as string, length: 2 });
  if (next === "b" || next === "B") {
    if (inClass) return err("\\b is not a class member");
    if (pattern[at + 2] === "{") return err("\\b{...} boundaries are not supported");
    return ok({ js: `\\${next}`, length: 2 });
  }
  if (next === "A" && !inClass) return ok({ js: "^", length: 2 });
  if (next === "z" && !inClass) return ok({ js: "$", length: 2 });
  if (next === "x") {
    const braced = /^\{([0-9A-Fa-f]{1,6})\}/.exec(pattern.slice(at + 2));
    const code = braced ? Number.parseInt(braced[1] as string, 16) : undefined;
    if (braced && code !== undefined) {
      if (code > 0xffff) return err("\\x{...} above U+FFFF is not supported");
      return ok({ js: `\\u${code.toString(16).padStart(4, "0")}`, length: 2 + braced[0].length });
    }
    const two = /^[0-9A-Fa-f]{2}/.exec(pattern.slice(at + 2));
    if (two) return ok({ js: `\\x${two[0]}`, length: 4 });
    return err("invalid \\x escape");
  }
  if (next === "u") {
    const four = /^[0-9A-Fa-f]{4}/.exec(pattern.slice(at + 2));
    if (four) return ok({ js: `\\u${four[0]}`, length: 6 });
    return err("invalid \\u escape");
  }
  if (next === "p" || next === "P") return err("Unicode classes (\\p{...}) are not supported");
  if (/[A-Za-z]/.test(next)) return err(`the escape \\${next} is not supported`);
  if (next === "<" || next === ">") return err(`the escape \\${next} is not supported`);
  // any other escaped character is itself in both engines
  return ok({ js: `\\${next}`, length: 2 });
}

/** Compiles a route path regex as Kong anchors it (at the start only), with its literal prefix. */
export function routePathRegex(source: string): { regex: RegExp; literal: string } | undefined {
  const js = translateRegex(source);
  return js.ok ? { regex: new RegExp(`^(?:${js.value})`), literal: literalPrefix(js.value) } : undefined;
}

const META = new Set("^$.|?*+()[]{}".split(""));

/**
 * Text every match of the (translated, start-anchored) pattern begins with: the router indexes
 * regex routes by it as it indexes prefixes. Empty when the pattern has a top-level alternation or
 * starts with anything but plain characters.
 */
export function literalPrefix(js: string): string {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < js.length; i++) {
    const c = js[i];
    if (c === "\\") i++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) return "";
  }
  let out = "";
  for (let i = 0; i < js.length; ) {
    const c = js[i] as string;
    let literal: string;
    let width: number;
    if (c === "\\") {
      const next = js[i + 1] ?? "";
      if (!/[^A-Za-z0-9]/.test(next)) break;
      literal = next;
      width = 2;
    } else if (META.has(c)) {
      break;
    } else {
      literal = c;
      width = 1;
    }
    const after = js[i + width];
    if (after === "?" || after === "*" || after === "{") break;
    out += literal;
    if (after === "+") break;
    i += width;
  }
  return out;
}
