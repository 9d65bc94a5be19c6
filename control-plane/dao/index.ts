import { caCertificatesSchema, certificatesSchema, snisSchema } from "../../shared/entities/certificates";
import { consumersSchema } from "../../shared/entities/consumers";
import {
  aclsSchema,
  basicauthCredentialsSchema,
  jwtSecretsSchema,
  keyauthCredentialsSchema,
} from "../../shared/entities/credentials";
import { pluginsSchema } from "../../shared/entities/plugins";
import { routesSchema } from "../../shared/entities/routes";
import { servicesSchema } from "../../shared/entities/services";
import { targetsSchema, upstreamsSchema } from "../../shared/entities/upstreams";
import type { Db } from "../db/client";
import * as t from "../db/schema";
import { EntityDao, type EntityDaoOptions } from "./entity-dao";
import { basicAuthHooks } from "./hooks/basic-auth";
import { caCertificateHooks, certificateHooks } from "./hooks/certificates";
import { pluginHooks } from "./hooks/plugins";

/** Every entity the Admin API serves, in the order Kong exports them (referenced before referrers). */
export const ENTITY_NAMES = [
  "certificates",
  "snis",
  "ca_certificates",
  "consumers",
  "services",
  "routes",
  "upstreams",
  "targets",
  "plugins",
  "keyauth_credentials",
  "basicauth_credentials",
  "jwt_secrets",
  "acls",
] as const;

export type EntityName = (typeof ENTITY_NAMES)[number];
export type Daos = Readonly<Record<EntityName, EntityDao>>;

const consumerFk = { field: "consumer", column: "consumer_id", references: "consumers" };

function definitions(db: Db): Record<EntityName, EntityDaoOptions> {
  return {
    certificates: {
      schema: certificatesSchema,
      table: t.certificates,
      referrers: ["snis", "upstreams", "services"],
      hooks: certificateHooks(db),
    },
    snis: {
      schema: snisSchema,
      table: t.snis,
      unique: ["name"],
      foreignKeys: [{ field: "certificate", column: "certificate_id", references: "certificates" }],
    },
    ca_certificates: {
      schema: caCertificatesSchema,
      table: t.caCertificates,
      unique: ["cert_digest"],
      hooks: caCertificateHooks,
    },
    consumers: { schema: consumersSchema, table: t.consumers, unique: ["username", "custom_id"] },
    services: {
      schema: servicesSchema,
      table: t.services,
      unique: ["name"],
      referrers: ["routes"],
      foreignKeys: [
        { field: "client_certificate", column: "client_certificate_id", references: "certificates" },
      ],
    },
    routes: {
      schema: routesSchema,
      table: t.routes,
      unique: ["name"],
      foreignKeys: [{ field: "service", column: "service_id", references: "services" }],
    },
    upstreams: {
      schema: upstreamsSchema,
      table: t.upstreams,
      unique: ["name"],
      foreignKeys: [
        { field: "client_certificate", column: "client_certificate_id", references: "certificates" },
      ],
    },
    targets: {
      schema: targetsSchema,
      table: t.targets,
      foreignKeys: [{ field: "upstream", column: "upstream_id", references: "upstreams" }],
      uniqueTogether: [["target", "upstream"]],
      nestedOnly: true,
      fractionalTimestamps: true,
    },
    plugins: {
      schema: pluginsSchema,
      table: t.plugins,
      unique: ["instance_name"],
      uniqueTogether: [["consumer", "name", "route", "service"]],
      hooks: pluginHooks(db),
      foreignKeys: [
        { field: "route", column: "route_id", references: "routes" },
        { field: "service", column: "service_id", references: "services" },
        consumerFk,
      ],
    },
    keyauth_credentials: {
      schema: keyauthCredentialsSchema,
      table: t.keyauthCredentials,
      unique: ["key"],
      foreignKeys: [consumerFk],
      adminName: "key-auths",
      nestedName: "key-auth",
    },
    basicauth_credentials: {
      schema: basicauthCredentialsSchema,
      table: t.basicauthCredentials,
      unique: ["username"],
      foreignKeys: [consumerFk],
      adminName: "basic-auths",
      nestedName: "basic-auth",
      hooks: basicAuthHooks,
    },
    jwt_secrets: {
      schema: jwtSecretsSchema,
      table: t.jwtSecrets,
      unique: ["key"],
      foreignKeys: [consumerFk],
      adminName: "jwts",
      nestedName: "jwt",
    },
    acls: {
      schema: aclsSchema,
      table: t.acls,
      foreignKeys: [consumerFk],
      uniqueTogether: [["consumer", "group"]],
      nestedKey: "group",
    },
  };
}

/** The DAOs of every entity the Admin API serves. */
export function createDaos(db: Db, onCommit: () => void): Daos {
  const defs = definitions(db);
  const daos = Object.fromEntries(
    ENTITY_NAMES.map((name) => [name, new EntityDao(db, defs[name], onCommit)]),
  ) as Record<EntityName, EntityDao>;
  for (const dao of Object.values(daos)) dao.daos = daos;
  return daos;
}
