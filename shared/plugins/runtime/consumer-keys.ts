import type { ColdType } from "../../snapshot/cold";

/**
 * The lookup keys of one consumer or credential, with what each key finds: a consumer by id
 * (`c:`), username (`u:`) and custom_id (`x:`); a key-auth key (`k:`), a basic-auth username
 * (`b:`), a JWT key (`j:`); a consumer's ACL groups (`a:`, one row per group, in order). The same
 * keys index consumers in an isolate's memory and in the DP node's storage.
 */
export function consumerKeys(type: ColdType, entity: Record<string, unknown>): Array<[string, unknown]> {
  if (type === "consumers") {
    const id = String(entity.id);
    const consumer = {
      id,
      username: (entity.username as string | null | undefined) ?? null,
      custom_id: (entity.custom_id as string | null | undefined) ?? null,
    };
    const out: Array<[string, unknown]> = [[`c:${id.toLowerCase()}`, consumer]];
    if (consumer.username) out.push([`u:${consumer.username}`, consumer]);
    if (consumer.custom_id) out.push([`x:${consumer.custom_id}`, consumer]);
    return out;
  }
  const ref = entity.consumer as string | { id?: string } | null | undefined;
  const consumerId = typeof ref === "string" ? ref : ref?.id;
  if (!consumerId) return [];
  const owned = { ...entity, consumer: { id: consumerId } };
  switch (type) {
    case "keyauth_credentials":
      return [[`k:${String(entity.key)}`, owned]];
    case "basicauth_credentials":
      return [[`b:${String(entity.username)}`, owned]];
    case "jwt_secrets":
      return [[`j:${String(entity.key)}`, owned]];
    case "acls":
      return [[`a:${consumerId}`, String(entity.group)]];
  }
  return [];
}
