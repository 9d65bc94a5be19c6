import { pluginDefinition } from "../plugins/definitions";
import type { EntitySchema, Subschema } from "../schema/types";
import * as t from "./typedefs";
import { PROTOCOLS } from "./typedefs";

const HTTP_PROTOCOLS = ["grpc", "grpcs", "http", "https"];

/** Each plugin's `config` schema is a subschema picked by the plugin's `name`, as in Kong. */
function subschema(name: string): Subschema | undefined {
  const def = pluginDefinition(name);
  if (!def) return undefined;
  return {
    fields: {
      config: { type: "record", required: true, default: {}, fields: def.config },
      ...(def.noConsumer
        ? { consumer: { type: "foreign", reference: "consumers", mustBeNull: "value must be null" } }
        : {}),
      protocols: {
        type: "set",
        required: true,
        default: HTTP_PROTOCOLS,
        elements: { type: "string", oneOf: HTTP_PROTOCOLS },
      },
    },
    checks: def.checks,
  };
}

export const pluginsSchema: EntitySchema = {
  name: "plugins",
  endpointKey: "instance_name",
  fields: {
    id: t.uuid(),
    name: { type: "string", required: true },
    instance_name: t.utf8Name(),
    created_at: t.timestamp(),
    updated_at: t.timestamp(),
    route: { type: "foreign", reference: "routes" },
    service: { type: "foreign", reference: "services" },
    consumer: { type: "foreign", reference: "consumers" },
    config: { type: "record", required: true, default: {}, fields: {} },
    protocols: {
      type: "set",
      required: true,
      default: HTTP_PROTOCOLS,
      elements: { type: "string", oneOf: PROTOCOLS },
    },
    enabled: { type: "boolean", required: true, default: true },
    tags: t.tags(),
  },
  subschemaKey: "name",
  subschemas: subschema,
  unknownSubschema: (name) => `plugin '${name}' not enabled; add it to the 'plugins' configuration property`,
};
