import { LINTEL_VERSION } from "../shared/version";
import { ConfError } from "./conf";
import { HELP as CONFIG_HELP } from "./help/config";
import { HELP as CP_HELP } from "./help/cp";
import { HELP as DP_HELP } from "./help/dp";
import { HELP as HYBRID_HELP } from "./help/hybrid";
import { HELP as MIGRATIONS_HELP } from "./help/migrations";
import { HELP as START_HELP } from "./help/start";

const HELP = `Usage: lintel COMMAND [OPTIONS]

Lintel: Kong Gateway's hybrid mode for the edge. A control plane serving Kong's Admin API, and
data planes running as Cloudflare Workers.

The available commands are:
  start                 Control plane and a local data plane together (what \`npm start\` runs)
  cp                    A control plane node: Admin API (8001) and cluster listener (8005)
  dp                    A local data plane (the edge-dp Worker in workerd) on the proxy port (8000)
  hybrid gen_cert       Generate a cluster certificate/key pair, as \`kong hybrid gen_cert\`
  config db_import      Replace the configuration with a kong.yml, as \`kong config db_import\`
  config db_export      Write the configuration to a kong.yml, as \`kong config db_export\`
  migrations up         Apply the database migrations

Options:
  -c, --conf FILE       A kong.conf-style file of options
  -h, --help            Help for a command (lintel COMMAND --help)
  --version             Print the version

Configuration uses Kong's option names, from KONG_<NAME> environment variables (KONG_ROLE,
KONG_PREFIX, KONG_ADMIN_LISTEN, KONG_CLUSTER_CERT, KONG_PG_HOST, ...) or a file given with -c.
Without KONG_PG_HOST or DATABASE_URL, an embedded database is kept in the prefix folder.`;

// Commands load on use: the database, workerd and crypto libraries are not needed for --help.
const COMMANDS: Record<string, { help: string; run: (args: string[]) => Promise<number> }> = {
  start: { help: START_HELP, run: async (a) => (await import("./commands/start")).runStart(a) },
  cp: { help: CP_HELP, run: async (a) => (await import("./commands/cp")).runCp(a) },
  dp: { help: DP_HELP, run: async (a) => (await import("./commands/dp")).runDp(a) },
  hybrid: { help: HYBRID_HELP, run: async (a) => (await import("./commands/hybrid")).runHybrid(a) },
  config: { help: CONFIG_HELP, run: async (a) => (await import("./commands/config")).runConfig(a) },
  migrations: {
    help: MIGRATIONS_HELP,
    run: async (a) => (await import("./commands/migrations")).runMigrations(a),
  },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "-h" || command === "--help" || command === "help") {
    console.log(HELP);
    return command ? 0 : 1;
  }
  if (command === "--version" || command === "version") {
    console.log(`Lintel ${LINTEL_VERSION}`);
    return 0;
  }
  const cmd = COMMANDS[command];
  if (!cmd) {
    console.error(`Error: unknown command '${command}'\n\n${HELP}`);
    return 1;
  }
  if (rest.includes("-h") || rest.includes("--help")) {
    console.log(cmd.help);
    return 0;
  }
  return cmd.run(rest);
}

try {
  const code = await main(process.argv.slice(2));
  if (code !== 0) process.exitCode = code;
} catch (e) {
  if (e instanceof ConfError) {
    for (const p of e.problems) console.error(`Error: ${p}`);
  } else if (
    e instanceof Error &&
    e.name === "TypeError" &&
    "code" in e &&
    String(e.code).startsWith("ERR_PARSE_ARGS")
  ) {
    console.error(`Error: ${e.message}\nRun with --help for usage.`);
  } else {
    console.error(`Error: ${e instanceof Error ? e.message : String(e)}`);
  }
  process.exitCode = 1;
}
