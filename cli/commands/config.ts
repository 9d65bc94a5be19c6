import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { importDeclarative } from "../../control-plane/cluster/declarative";
import { exportConfig } from "../../control-plane/cluster/export";
import { createDaos } from "../../control-plane/dao";
import { openDatabase } from "../../control-plane/node/control-plane";
import { loadConf } from "../conf";
import { HELP } from "../help/config";

export async function runConfig(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { conf: { type: "string", short: "c" } },
    allowPositionals: true,
  });
  const [sub, file] = positionals;
  if (sub !== "db_import" && sub !== "db_export") {
    console.error(sub ? `No such command for config: ${sub}\n\n${HELP}` : HELP);
    return 1;
  }
  if (sub === "db_import" && !file) throw new Error("db_import needs the file to import");
  const target = file ?? "kong.yml";
  if (sub === "db_export" && target !== "-" && existsSync(target)) {
    throw new Error(`${target} already exists; will not overwrite it`);
  }
  let input: unknown;
  if (sub === "db_import") {
    try {
      input = parseYaml(readFileSync(target, "utf8"), { maxAliasCount: 100 });
    } catch (e) {
      throw new Error(
        `failed parsing declarative configuration ${target}: ${(e as Error).message.split("\n")[0]}`,
      );
    }
  }

  const conf = loadConf({ file: values.conf, env: process.env, warn: (m) => console.error(`warn: ${m}`) });
  const database = openDatabase(conf, process.env);
  try {
    await database.migrate();
    const daos = createDaos(database.db, () => {});
    if (sub === "db_export") {
      const { config } = await exportConfig(database.db, daos, { includeDisabled: true });
      const yaml = stringifyYaml(config, { lineWidth: 0 });
      if (target === "-") process.stdout.write(yaml);
      else {
        writeFileSync(target, yaml, { flag: "wx" });
        console.error(`exported the configuration of ${database.describe} to ${target}`);
      }
      return 0;
    }
    console.error("parse successful");
    const r = await importDeclarative(database.db, daos, input, { flatten: false });
    if (!r.ok) {
      console.error(`Error: ${r.error.message}`);
      return 1;
    }
    const counts = Object.entries(r.value).map(([name, list]) => `${list.length} ${name}`);
    console.error(`import successful: ${counts.join(", ") || "an empty configuration"}`);
    return 0;
  } finally {
    await database.close();
  }
}
