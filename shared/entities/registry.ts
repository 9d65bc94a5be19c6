import type { EntitySchema } from "../schema/types";
import { caCertificatesSchema, certificatesSchema, snisSchema } from "./certificates";
import { consumersSchema } from "./consumers";
import {
  aclsSchema,
  basicauthCredentialsSchema,
  jwtSecretsSchema,
  keyauthCredentialsSchema,
} from "./credentials";
import { pluginsSchema } from "./plugins";
import { routesSchema } from "./routes";
import { servicesSchema } from "./services";
import { targetsSchema, upstreamsSchema } from "./upstreams";

export type EntityMeta = {
  schema: EntitySchema;
  /** Foreign keys: the field and the entity it refers to. */
  foreign: ReadonlyArray<{ field: string; references: string }>;
  /** Entity lists a `kong.yml` may nest in this one, by the key they sit under. */
  children?: Readonly<Record<string, string>>;
  /** Whether the endpoint key names an entity across the whole config (ids are derived from it). */
  globalKey?: boolean;
};

/** Every entity, in Kong's export order: referenced entities before the ones that refer to them. */
export const ENTITIES: Readonly<Record<string, EntityMeta>> = {
  certificates: { schema: certificatesSchema, foreign: [], children: { snis: "snis" } },
  snis: {
    schema: snisSchema,
    foreign: [{ field: "certificate", references: "certificates" }],
    globalKey: true,
  },
  ca_certificates: { schema: caCertificatesSchema, foreign: [] },
  consumers: {
    schema: consumersSchema,
    foreign: [],
    globalKey: true,
    children: {
      plugins: "plugins",
      keyauth_credentials: "keyauth_credentials",
      basicauth_credentials: "basicauth_credentials",
      jwt_secrets: "jwt_secrets",
      acls: "acls",
    },
  },
  services: {
    schema: servicesSchema,
    foreign: [{ field: "client_certificate", references: "certificates" }],
    globalKey: true,
    children: { routes: "routes", plugins: "plugins" },
  },
  routes: {
    schema: routesSchema,
    foreign: [{ field: "service", references: "services" }],
    globalKey: true,
    children: { plugins: "plugins" },
  },
  upstreams: {
    schema: upstreamsSchema,
    foreign: [{ field: "client_certificate", references: "certificates" }],
    globalKey: true,
    children: { targets: "targets" },
  },
  targets: { schema: targetsSchema, foreign: [{ field: "upstream", references: "upstreams" }] },
  plugins: {
    schema: pluginsSchema,
    foreign: [
      { field: "route", references: "routes" },
      { field: "service", references: "services" },
      { field: "consumer", references: "consumers" },
    ],
  },
  keyauth_credentials: {
    schema: keyauthCredentialsSchema,
    foreign: [{ field: "consumer", references: "consumers" }],
    globalKey: true,
  },
  basicauth_credentials: {
    schema: basicauthCredentialsSchema,
    foreign: [{ field: "consumer", references: "consumers" }],
    globalKey: true,
  },
  jwt_secrets: {
    schema: jwtSecretsSchema,
    foreign: [{ field: "consumer", references: "consumers" }],
    globalKey: true,
  },
  acls: { schema: aclsSchema, foreign: [{ field: "consumer", references: "consumers" }] },
};

export const ENTITY_ORDER = Object.keys(ENTITIES);
