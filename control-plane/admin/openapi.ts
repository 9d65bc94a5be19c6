import type { EntitySchema, Field } from "../../shared/schema/types";
import { KONG_VERSION, LINTEL_VERSION } from "../../shared/version";
import { type Daos, ENTITY_NAMES } from "../dao";
import type { EntityDao } from "../dao/entity-dao";

type Json = Record<string, unknown>;

/** A field as JSON Schema: the same constraints the Admin API enforces, where JSON Schema can say them. */
export function jsonSchema(field: Field): Json {
  const nullable = (s: Json): Json => (field.required ? s : { ...s, type: [s.type, "null"] });
  const base: Json = {};
  if (field.default !== undefined && field.default !== null) base.default = field.default;
  switch (field.type) {
    case "string":
      return nullable({
        ...base,
        type: "string",
        ...(field.oneOf ? { enum: field.oneOf } : {}),
        ...(field.uuid ? { format: "uuid" } : {}),
      });
    case "integer":
      return nullable({
        ...base,
        type: "integer",
        ...(field.between ? { minimum: field.between[0], maximum: field.between[1] } : {}),
        ...(field.oneOf ? { enum: field.oneOf } : {}),
      });
    case "number":
      return nullable({
        ...base,
        type: "number",
        ...(field.between ? { minimum: field.between[0], maximum: field.between[1] } : {}),
      });
    case "boolean":
      return nullable({ ...base, type: "boolean" });
    case "array":
    case "set":
      return nullable({
        ...base,
        type: "array",
        items: jsonSchema(field.elements),
        ...(field.type === "set" ? { uniqueItems: true } : {}),
      });
    case "map":
      return nullable({ ...base, type: "object", additionalProperties: jsonSchema(field.values) });
    case "record":
      return { ...objectSchema(field.fields), ...(field.required ? {} : { type: ["object", "null"] }) };
    case "foreign":
      return nullable({
        type: "object",
        properties: { id: { type: "string", format: "uuid" } },
        description: `A reference to ${field.reference}: { "id": ... } (or its name)`,
      });
  }
}

function objectSchema(fields: Readonly<Record<string, Field>>): Json {
  return {
    type: "object",
    properties: Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, jsonSchema(f)])),
    additionalProperties: false,
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ content: { "application/json": { schema } } });
const error = (description: string) => ({ description, ...json(ref("Error")) });

function entityPaths(dao: EntityDao, daos: Daos): Record<string, Json> {
  const tag = dao.adminName;
  const entity = ref(dao.name);
  const page = {
    type: "object",
    properties: {
      data: { type: "array", items: entity },
      next: { type: ["string", "null"] },
      offset: { type: "string" },
    },
  };
  const listParams = [
    { name: "size", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
    { name: "offset", in: "query", schema: { type: "string" } },
    {
      name: "tags",
      in: "query",
      description: "`a,b`: every tag; `a/b`: any tag (at most 5)",
      schema: { type: "string" },
    },
  ];
  const key = {
    name: "key",
    in: "path",
    required: true,
    description: `id${dao.schema.endpointKey ? ` or ${dao.schema.endpointKey}` : ""}`,
    schema: { type: "string" },
  };
  const collection = {
    get: {
      tags: [tag],
      summary: `List ${dao.name}`,
      parameters: listParams,
      responses: {
        200: { description: "A page", ...json(page) },
        400: error("Invalid size, offset or tags"),
      },
    },
    post: {
      tags: [tag],
      summary: `Create a ${dao.name} entity`,
      requestBody: json(entity),
      responses: {
        201: { description: "Created", ...json(entity) },
        400: error("Schema violation"),
        409: error("Unique violation"),
      },
    },
  };
  const one = {
    parameters: [key],
    get: {
      tags: [tag],
      responses: { 200: { description: "The entity", ...json(entity) }, 404: error("Not found") },
    },
    put: {
      tags: [tag],
      summary: "Create or replace",
      requestBody: json(entity),
      responses: { 200: { description: "Upserted", ...json(entity) }, 400: error("Schema violation") },
    },
    patch: {
      tags: [tag],
      summary: "Update",
      requestBody: json(entity),
      responses: { 200: { description: "Updated", ...json(entity) }, 404: error("Not found") },
    },
    delete: { tags: [tag], responses: { 204: { description: "Deleted (also when absent)" } } },
  };
  const paths: Record<string, Json> = {};
  if (!dao.opts.nestedOnly) {
    paths[`/${dao.adminName}`] = collection;
    paths[`/${dao.adminName}/{key}`] = one;
  }
  for (const fk of dao.fks) {
    const parent = daos[fk.references as keyof Daos];
    const p = { name: "parent", in: "path", required: true, schema: { type: "string" } };
    paths[`/${parent.adminName}/{parent}/${dao.nestedName}`] = { parameters: [p], ...collection };
    paths[`/${parent.adminName}/{parent}/${dao.nestedName}/{key}`] = { ...one, parameters: [p, key] };
  }
  return paths;
}

/** The OpenAPI 3.1 description of the Admin API, made from the same schemas that validate requests. */
export function openApiDocument(daos: Daos): Json {
  const schemas: Record<string, Json> = {
    Error: {
      type: "object",
      properties: {
        code: { type: "integer" },
        name: { type: "string" },
        message: { type: "string" },
        fields: { type: "object" },
      },
      required: ["message"],
    },
  };
  let paths: Record<string, Json> = {};
  for (const name of ENTITY_NAMES) {
    const schema: EntitySchema = daos[name].schema;
    schemas[name] = objectSchema(schema.fields);
    paths = { ...paths, ...entityPaths(daos[name], daos) };
  }
  const simple = (tag: string, summary: string) => ({
    get: { tags: [tag], summary, responses: { 200: { description: "OK" } } },
  });
  Object.assign(paths, {
    "/": simple("information", "The node: version, node id, plugins"),
    "/status": simple("information", "Health: database reachability, counters"),
    "/endpoints": simple("information", "Every path the Admin API serves"),
    "/plugins/enabled": simple("plugins", "The plugins this cluster can run"),
    "/schemas/{entity}": {
      ...simple("information", "An entity's schema"),
      parameters: [{ name: "entity", in: "path", required: true, schema: { type: "string" } }],
    },
    "/schemas/plugins/{name}": {
      ...simple("plugins", "A plugin's schema"),
      parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
    },
    "/tags": simple("tags", "Every tagged entity"),
    "/clustering/data-planes": simple("clustering", "The data planes of the cluster and their sync status"),
    "/config": {
      get: {
        tags: ["config"],
        summary: "The whole configuration as a kong.yml",
        responses: { 200: { description: "{ config: <yaml> }" } },
      },
      post: {
        tags: ["config"],
        summary: "Replace the whole configuration with a kong.yml (format 3.0), atomically",
        parameters: [
          { name: "check_hash", in: "query", schema: { type: "string", enum: ["1"] } },
          { name: "flatten_errors", in: "query", schema: { type: "string" } },
        ],
        responses: {
          201: { description: "The entities now stored" },
          304: { description: "Same config as loaded" },
          400: error("Invalid declarative configuration (code 14)"),
        },
      },
    },
  });
  return {
    openapi: "3.1.0",
    info: {
      title: "Lintel Admin API",
      version: LINTEL_VERSION,
      description: `Kong's Admin API (Kong ${KONG_VERSION} behaviour) served by Lintel's control plane. With admin_token set, send it in the Kong-Admin-Token header.`,
    },
    components: {
      schemas,
      securitySchemes: { adminToken: { type: "apiKey", in: "header", name: "Kong-Admin-Token" } },
    },
    security: [{ adminToken: [] }, {}],
    paths,
  };
}
