import { parseArgs } from "node:util";
import { openDatabase } from "../../control-plane/node/control-plane";
import { loadConf } from "../conf";

export const HELP = `Usage: lintel migrations up [OPTIONS]

Applies the pending database migrations (Lintel also applies them when a control plane starts).
The database is Postgres when KONG_PG_HOST or DATABASE_URL is set, otherwise the embedded one in
the prefix folder (KONG_PREFIX, default .lintel).

Options:
  -c, --conf FILE       A kong.conf-style file of options`;

export async function runMigrations(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { conf: { type: "string", short: "c" } },
    allowPositionals: true,
  });
  if (positionals[0] !== "up") {
    console.error(HELP);
    return 1;
  }
  const conf = loadConf({ file: values.conf, env: process.env, warn: (m) => console.error(`warn: ${m}`) });
  const database = openDatabase(conf, process.env);
  try {
    console.log(`Applying migrations to ${database.describe}...`);
    await database.migrate();
    console.log("Database is up to date");
  } finally {
    await database.close();
  }
  return 0;
}
