CREATE INDEX "plugins_route_id_idx" ON "plugins" USING btree ("route_id");--> statement-breakpoint
CREATE INDEX "plugins_service_id_idx" ON "plugins" USING btree ("service_id");--> statement-breakpoint
CREATE INDEX "plugins_consumer_id_idx" ON "plugins" USING btree ("consumer_id");