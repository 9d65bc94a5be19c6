CREATE TABLE "acls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"consumer_id" uuid NOT NULL,
	"tags" text[],
	"group" text NOT NULL,
	CONSTRAINT "acls_consumer_id_group_unique" UNIQUE("consumer_id","group")
);
--> statement-breakpoint
CREATE TABLE "basicauth_credentials" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"consumer_id" uuid NOT NULL,
	"tags" text[],
	"username" text NOT NULL,
	"password" text NOT NULL,
	CONSTRAINT "basicauth_credentials_username_unique" UNIQUE("username")
);
--> statement-breakpoint
CREATE TABLE "ca_certificates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"cert" text NOT NULL,
	"cert_digest" text NOT NULL,
	"tags" text[],
	CONSTRAINT "ca_certificates_cert_digest_unique" UNIQUE("cert_digest")
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"cert" text NOT NULL,
	"key" text NOT NULL,
	"cert_alt" text,
	"key_alt" text,
	"tags" text[]
);
--> statement-breakpoint
CREATE TABLE "consumers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"username" text,
	"custom_id" text,
	"tags" text[],
	CONSTRAINT "consumers_username_unique" UNIQUE("username"),
	CONSTRAINT "consumers_custom_id_unique" UNIQUE("custom_id")
);
--> statement-breakpoint
CREATE TABLE "jwt_secrets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"consumer_id" uuid NOT NULL,
	"tags" text[],
	"key" text NOT NULL,
	"secret" text NOT NULL,
	"rsa_public_key" text,
	"algorithm" text NOT NULL,
	CONSTRAINT "jwt_secrets_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "keyauth_credentials" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"consumer_id" uuid NOT NULL,
	"tags" text[],
	"key" text NOT NULL,
	CONSTRAINT "keyauth_credentials_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "plugins" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"name" text NOT NULL,
	"instance_name" text,
	"route_id" uuid,
	"service_id" uuid,
	"consumer_id" uuid,
	"config" jsonb NOT NULL,
	"protocols" text[] NOT NULL,
	"enabled" boolean NOT NULL,
	"tags" text[],
	CONSTRAINT "plugins_instance_name_unique" UNIQUE("instance_name"),
	CONSTRAINT "plugins_name_route_id_service_id_consumer_id_unique" UNIQUE NULLS NOT DISTINCT("name","route_id","service_id","consumer_id")
);
--> statement-breakpoint
CREATE TABLE "snis" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"name" text NOT NULL,
	"certificate_id" uuid NOT NULL,
	"tags" text[],
	CONSTRAINT "snis_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "targets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" double precision NOT NULL,
	"updated_at" double precision NOT NULL,
	"upstream_id" uuid NOT NULL,
	"target" text NOT NULL,
	"weight" integer NOT NULL,
	"tags" text[],
	CONSTRAINT "targets_upstream_id_target_unique" UNIQUE("upstream_id","target")
);
--> statement-breakpoint
CREATE TABLE "upstreams" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from now()))::bigint NOT NULL,
	"name" text NOT NULL,
	"algorithm" text NOT NULL,
	"hash_on" text NOT NULL,
	"hash_fallback" text NOT NULL,
	"hash_on_header" text,
	"hash_fallback_header" text,
	"hash_on_cookie" text,
	"hash_on_cookie_path" text NOT NULL,
	"hash_on_query_arg" text,
	"hash_fallback_query_arg" text,
	"hash_on_uri_capture" text,
	"hash_fallback_uri_capture" text,
	"slots" integer NOT NULL,
	"healthchecks" jsonb NOT NULL,
	"tags" text[],
	"host_header" text,
	"client_certificate_id" uuid,
	"use_srv_name" boolean NOT NULL,
	CONSTRAINT "upstreams_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "acls" ADD CONSTRAINT "acls_consumer_id_consumers_id_fk" FOREIGN KEY ("consumer_id") REFERENCES "public"."consumers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "basicauth_credentials" ADD CONSTRAINT "basicauth_credentials_consumer_id_consumers_id_fk" FOREIGN KEY ("consumer_id") REFERENCES "public"."consumers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jwt_secrets" ADD CONSTRAINT "jwt_secrets_consumer_id_consumers_id_fk" FOREIGN KEY ("consumer_id") REFERENCES "public"."consumers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "keyauth_credentials" ADD CONSTRAINT "keyauth_credentials_consumer_id_consumers_id_fk" FOREIGN KEY ("consumer_id") REFERENCES "public"."consumers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plugins" ADD CONSTRAINT "plugins_route_id_routes_id_fk" FOREIGN KEY ("route_id") REFERENCES "public"."routes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plugins" ADD CONSTRAINT "plugins_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plugins" ADD CONSTRAINT "plugins_consumer_id_consumers_id_fk" FOREIGN KEY ("consumer_id") REFERENCES "public"."consumers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snis" ADD CONSTRAINT "snis_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "targets" ADD CONSTRAINT "targets_upstream_id_upstreams_id_fk" FOREIGN KEY ("upstream_id") REFERENCES "public"."upstreams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "upstreams" ADD CONSTRAINT "upstreams_client_certificate_id_certificates_id_fk" FOREIGN KEY ("client_certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "basicauth_credentials_consumer_id_idx" ON "basicauth_credentials" USING btree ("consumer_id");--> statement-breakpoint
CREATE INDEX "jwt_secrets_consumer_id_idx" ON "jwt_secrets" USING btree ("consumer_id");--> statement-breakpoint
CREATE INDEX "keyauth_credentials_consumer_id_idx" ON "keyauth_credentials" USING btree ("consumer_id");--> statement-breakpoint
CREATE INDEX "snis_certificate_id_idx" ON "snis" USING btree ("certificate_id");