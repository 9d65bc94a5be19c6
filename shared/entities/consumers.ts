import { atLeastOneOf } from "../schema/checks";
import type { EntitySchema } from "../schema/types";
import * as t from "./typedefs";

export const consumersSchema: EntitySchema = {
  name: "consumers",
  endpointKey: "username",
  fields: {
    id: t.uuid(),
    created_at: t.timestamp(),
    updated_at: t.timestamp(),
    username: { type: "string" },
    custom_id: { type: "string" },
    tags: t.tags(),
  },
  checks: [atLeastOneOf("custom_id", "username")],
};
