import { err, ok, type Result } from "../util/result";
import type { KongError } from "./errors";

export type TagsFilter = { tags: string[]; mode: "and" | "or" };

const TAG = /^[ \x21-\x2b\x2d\x2e\x30-\x7e\u0080-\u{10ffff}]+$/u;
const MAX_TAGS = 5;

function invalid(reason: string): KongError {
  return {
    code: 11,
    name: "invalid options",
    message: `invalid option (tags: ${reason})`,
    options: { tags: reason },
  };
}

/**
 * Kong's `?tags=` filter: `a,b` for entities with every tag, `a/b` for entities with any, at most
 * five, one kind of separator at a time. Errors are Kong's "invalid options" (code 11).
 */
export function parseTagsFilter(raw: string): Result<TagsFilter, KongError> {
  const hasAnd = raw.includes(",");
  const hasOr = raw.includes("/");
  if (hasAnd && hasOr)
    return err(invalid("must be a either 'and' or 'or' when more than one tag is specified"));
  const tags = raw.split(hasOr ? "/" : ",");
  if (tags.length > MAX_TAGS) return err(invalid(`cannot query more than ${MAX_TAGS} tags`));
  if (tags.some((t) => t === "")) return err(invalid("invalid filter syntax"));
  if (!tags.every((t) => TAG.test(t))) {
    return err(invalid("must only contain printable ascii (except `,` and `/`) or valid utf-8"));
  }
  return ok({ tags, mode: hasOr ? "or" : "and" });
}
