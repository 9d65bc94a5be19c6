import { readFileSync } from "node:fs";
import {
  type Conf,
  type ConfSource,
  fromEnvironment,
  parseConf,
  parseConfFile,
} from "../shared/conf/options";

export class ConfError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

/**
 * The node's options: Kong's defaults, then a `kong.conf`-style file (`-c`), then `KONG_*`
 * environment variables, then what the command itself sets.
 */
export function loadConf(opts: {
  file?: string;
  env: NodeJS.ProcessEnv;
  overrides?: ConfSource;
  warn: (m: string) => void;
}): Conf {
  let fromFile: ConfSource = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, "utf8");
    } catch (e) {
      throw new ConfError([`could not read configuration file ${opts.file}: ${(e as Error).message}`]);
    }
    const parsed = parseConfFile(text);
    if (!parsed.ok) throw new ConfError(parsed.error.map((p) => `${opts.file}: ${p}`));
    fromFile = parsed.value;
  }
  const env = fromEnvironment(opts.env);
  for (const name of env.unknown)
    opts.warn(`ignoring ${name}: Lintel has no option '${name.slice(5).toLowerCase()}'`);
  const conf = parseConf({ ...fromFile, ...env.values, ...opts.overrides });
  if (!conf.ok) throw new ConfError(conf.error);
  return conf.value;
}
