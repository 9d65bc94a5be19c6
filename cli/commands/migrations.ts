import { parseArgs } from "node:util";
import { openDatabase } from "../../control-plane/node/control-plane";
import { loadConf } from "../conf";
import { HELP } from "../help/migrations";

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
