import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, smallint, text, uuid } from "drizzle-orm/pg-core";

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
  client_certificate_id: uuid("client_certificate_id"),
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

/**
 * One row: the cluster's config version, bumped in the same transaction as every write, so that
 * every CP node can tell that the config changed and a snapshot names the state it holds.
 */
export const configVersion = pgTable("config_version", {
  id: smallint("id").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull(),
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
