import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  unique,
  uuid,
} from "drizzle-orm/pg-core";

/*
 * Column names are Kong's field names, so a row is the entity Kong's Admin API returns, but for
 * foreign keys (`service_id` here, `service: { id }` on the wire), as in Kong's own Postgres schema.
 * Timestamps are seconds since the epoch, as Kong returns them.
 */

const epochSeconds = sql`(extract(epoch from now()))::bigint`;

export const services = pgTable("services", {
  id: uuid("id").primaryKey(),
  created_at: bigint("created_at", { mode: "number" }).notNull().default(epochSeconds),
  updated_at: bigint("updated_at", { mode: "number" }).notNull().default(epochSeconds),
  name: text("name").unique(),
  retries: smallint("retries").notNull(),
  protocol: text("protocol").notNull(),
  host: text("host").notNull(),
  port: integer("port").notNull(),
  path: text("path"),
  connect_timeout: integer("connect_timeout").notNull(),
  write_timeout: integer("write_timeout").notNull(),
  read_timeout: integer("read_timeout").notNull(),
  tags: text("tags").array(),
  client_certificate_id: uuid("client_certificate_id").references((): AnyPgColumn => certificates.id),
  tls_verify: boolean("tls_verify"),
  tls_verify_depth: smallint("tls_verify_depth"),
  ca_certificates: uuid("ca_certificates").array(),
  enabled: boolean("enabled").notNull(),
});

export const routes = pgTable(
  "routes",
  {
    id: uuid("id").primaryKey(),
    created_at: bigint("created_at", { mode: "number" }).notNull().default(epochSeconds),
    updated_at: bigint("updated_at", { mode: "number" }).notNull().default(epochSeconds),
    name: text("name").unique(),
    service_id: uuid("service_id").references(() => services.id),
    protocols: text("protocols").array().notNull(),
    methods: text("methods").array(),
    hosts: text("hosts").array(),
    paths: text("paths").array(),
    headers: jsonb("headers").$type<Record<string, string[]> | null>(),
    snis: text("snis").array(),
    sources: jsonb("sources").$type<Array<{ ip?: string; port?: number }> | null>(),
    destinations: jsonb("destinations").$type<Array<{ ip?: string; port?: number }> | null>(),
    https_redirect_status_code: smallint("https_redirect_status_code").notNull(),
    regex_priority: bigint("regex_priority", { mode: "number" }).notNull(),
    strip_path: boolean("strip_path").notNull(),
    path_handling: text("path_handling").notNull(),
    preserve_host: boolean("preserve_host").notNull(),
    request_buffering: boolean("request_buffering").notNull(),
    response_buffering: boolean("response_buffering").notNull(),
    tags: text("tags").array(),
  },
  (t) => [index("routes_service_id_idx").on(t.service_id)],
);

const timestamps = () => ({
  created_at: bigint("created_at", { mode: "number" }).notNull().default(epochSeconds),
  updated_at: bigint("updated_at", { mode: "number" }).notNull().default(epochSeconds),
});

export const consumers = pgTable("consumers", {
  id: uuid("id").primaryKey(),
  ...timestamps(),
  username: text("username").unique(),
  custom_id: text("custom_id").unique(),
  tags: text("tags").array(),
});

export const certificates = pgTable("certificates", {
  id: uuid("id").primaryKey(),
  ...timestamps(),
  cert: text("cert").notNull(),
  key: text("key").notNull(),
  cert_alt: text("cert_alt"),
  key_alt: text("key_alt"),
  tags: text("tags").array(),
});

export const snis = pgTable(
  "snis",
  {
    id: uuid("id").primaryKey(),
    ...timestamps(),
    name: text("name").notNull().unique(),
    certificate_id: uuid("certificate_id")
      .notNull()
      .references(() => certificates.id),
    tags: text("tags").array(),
  },
  (t) => [index("snis_certificate_id_idx").on(t.certificate_id)],
);

export const caCertificates = pgTable("ca_certificates", {
  id: uuid("id").primaryKey(),
  ...timestamps(),
  cert: text("cert").notNull(),
  cert_digest: text("cert_digest").notNull().unique(),
  tags: text("tags").array(),
});

export const upstreams = pgTable("upstreams", {
  id: uuid("id").primaryKey(),
  ...timestamps(),
  name: text("name").notNull().unique(),
  algorithm: text("algorithm").notNull(),
  hash_on: text("hash_on").notNull(),
  hash_fallback: text("hash_fallback").notNull(),
  hash_on_header: text("hash_on_header"),
  hash_fallback_header: text("hash_fallback_header"),
  hash_on_cookie: text("hash_on_cookie"),
  hash_on_cookie_path: text("hash_on_cookie_path").notNull(),
  hash_on_query_arg: text("hash_on_query_arg"),
  hash_fallback_query_arg: text("hash_fallback_query_arg"),
  hash_on_uri_capture: text("hash_on_uri_capture"),
  hash_fallback_uri_capture: text("hash_fallback_uri_capture"),
  slots: integer("slots").notNull(),
  healthchecks: jsonb("healthchecks").notNull(),
  tags: text("tags").array(),
  host_header: text("host_header"),
  client_certificate_id: uuid("client_certificate_id").references(() => certificates.id),
  use_srv_name: boolean("use_srv_name").notNull(),
});

export const targets = pgTable(
  "targets",
  {
    id: uuid("id").primaryKey(),
    // Kong keeps target timestamps in milliseconds (seconds with a fraction)
    created_at: doublePrecision("created_at").notNull(),
    updated_at: doublePrecision("updated_at").notNull(),
    upstream_id: uuid("upstream_id")
      .notNull()
      .references(() => upstreams.id, { onDelete: "cascade" }),
    target: text("target").notNull(),
    weight: integer("weight").notNull(),
    tags: text("tags").array(),
  },
  (t) => [unique("targets_upstream_id_target_unique").on(t.upstream_id, t.target)],
);

export const plugins = pgTable(
  "plugins",
  {
    id: uuid("id").primaryKey(),
    ...timestamps(),
    name: text("name").notNull(),
    instance_name: text("instance_name").unique(),
    route_id: uuid("route_id").references(() => routes.id, { onDelete: "cascade" }),
    service_id: uuid("service_id").references(() => services.id, { onDelete: "cascade" }),
    consumer_id: uuid("consumer_id").references(() => consumers.id, { onDelete: "cascade" }),
    config: jsonb("config").notNull(),
    protocols: text("protocols").array().notNull(),
    enabled: boolean("enabled").notNull(),
    tags: text("tags").array(),
  },
  (t) => [
    // one plugin of a name per scope, a missing scope counting as one value (Kong's cache_key)
    unique("plugins_name_route_id_service_id_consumer_id_unique")
      .on(t.name, t.route_id, t.service_id, t.consumer_id)
      .nullsNotDistinct(),
    // Kong's: a route's, service's or consumer's plugins found, and checked when it is deleted,
    // without reading every plugin (a whole config's import deletes every row)
    index("plugins_route_id_idx").on(t.route_id),
    index("plugins_service_id_idx").on(t.service_id),
    index("plugins_consumer_id_idx").on(t.consumer_id),
  ],
);

const credentialColumns = () => ({
  id: uuid("id").primaryKey(),
  created_at: bigint("created_at", { mode: "number" }).notNull().default(epochSeconds),
  consumer_id: uuid("consumer_id")
    .notNull()
    .references(() => consumers.id, { onDelete: "cascade" }),
  tags: text("tags").array(),
});

export const keyauthCredentials = pgTable(
  "keyauth_credentials",
  { ...credentialColumns(), key: text("key").notNull().unique() },
  (t) => [index("keyauth_credentials_consumer_id_idx").on(t.consumer_id)],
);

export const basicauthCredentials = pgTable(
  "basicauth_credentials",
  {
    ...credentialColumns(),
    username: text("username").notNull().unique(),
    password: text("password").notNull(),
  },
  (t) => [index("basicauth_credentials_consumer_id_idx").on(t.consumer_id)],
);

export const jwtSecrets = pgTable(
  "jwt_secrets",
  {
    ...credentialColumns(),
    key: text("key").notNull().unique(),
    secret: text("secret").notNull(),
    rsa_public_key: text("rsa_public_key"),
    algorithm: text("algorithm").notNull(),
  },
  (t) => [index("jwt_secrets_consumer_id_idx").on(t.consumer_id)],
);

export const acls = pgTable("acls", { ...credentialColumns(), group: text("group").notNull() }, (t) => [
  unique("acls_consumer_id_group_unique").on(t.consumer_id, t.group),
]);

/**
 * One row: the cluster's config version, bumped in the same transaction as every write, so that
 * every CP node can tell that the config changed and a snapshot names the state it holds.
 */
export const configVersion = pgTable("config_version", {
  id: smallint("id").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull(),
  /** The database's identity: a restored or new database starts another epoch of versions. */
  epoch: uuid("epoch").notNull().defaultRandom(),
});

/** Data planes as the cluster has seen them (`/clustering/data-planes`). */
export const clusteringDataPlanes = pgTable("clustering_data_planes", {
  id: uuid("id").primaryKey(),
  hostname: text("hostname").notNull(),
  ip: text("ip").notNull(),
  last_seen: bigint("last_seen", { mode: "number" }).notNull(),
  config_hash: text("config_hash").notNull(),
  version: text("version").notNull(),
  sync_status: text("sync_status").notNull(),
  labels: jsonb("labels").$type<Record<string, string> | null>(),
  cert_details: jsonb("cert_details").$type<{ expiry_timestamp?: number } | null>(),
  updated_at: bigint("updated_at", { mode: "number" }).notNull().default(epochSeconds),
});
