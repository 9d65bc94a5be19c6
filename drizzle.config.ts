import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./control-plane/db/schema.ts",
  out: "./migrations",
});
