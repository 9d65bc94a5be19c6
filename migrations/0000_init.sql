CREATE TABLE "clustering_data_planes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"ip" text NOT NULL,
	"last_seen" bigint NOT NULL,
	"config_hash" text NOT NULL,
	"version" text NOT NULL,
	"sync_status" text NOT NULL,
	"labels" jsonb,
	"cert_details" jsonb,
	"updated_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "config_version" (
	"id" smallint PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "routes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"name" text,
	"service_id" uuid,
	"protocols" text[] NOT NULL,
	"methods" text[],
	"hosts" text[],
	"paths" text[],
	"headers" jsonb,
	"snis" text[],
	"sources" jsonb,
	"destinations" jsonb,
	"https_redirect_status_code" smallint NOT NULL,
	"regex_priority" bigint NOT NULL,
	"strip_path" boolean NOT NULL,
	"path_handling" text NOT NULL,
	"preserve_host" boolean NOT NULL,
	"request_buffering" boolean NOT NULL,
	"response_buffering" boolean NOT NULL,
	"tags" text[],
	CONSTRAINT "routes_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "services" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"name" text,
	"retries" smallint NOT NULL,
	"protocol" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"path" text,
	"connect_timeout" integer NOT NULL,
	"write_timeout" integer NOT NULL,
	"read_timeout" integer NOT NULL,
	"tags" text[],
	"client_certificate_id" uuid,
	"tls_verify" boolean,
	"tls_verify_depth" smallint,
	"ca_certificates" uuid[],
	"enabled" boolean NOT NULL,
	CONSTRAINT "services_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "routes" ADD CONSTRAINT "routes_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "routes_service_id_idx" ON "routes" USING btree ("service_id");