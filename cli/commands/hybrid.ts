import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_CERT_DAYS, generateClusterCertificate } from "../../control-plane/node/gen-cert";
import { HELP } from "../help/hybrid";

export async function runHybrid(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { days: { type: "string", short: "d" } },
    allowPositionals: true,
  });
  const [sub, ...files] = positionals;
  if (sub !== "gen_cert") {
    console.error(sub ? `No such command for hybrid: ${sub}` : HELP);
    return 1;
  }
  if (files.length !== 0 && files.length !== 2)
    throw new Error("both cert and key path needs to be provided");
  let days = DEFAULT_CERT_DAYS;
  if (values.days !== undefined) {
    days = Number(values.days);
    if (!Number.isFinite(days) || days <= 0)
      throw new Error(`--days must be a positive number, got '${values.days}'`);
  }
  const cert = resolve(files[0] ?? "cluster.crt");
  const key = resolve(files[1] ?? "cluster.key");
  await generateClusterCertificate(cert, key, days);
  console.log(
    `Successfully generated certificate/key pairs, they have been written to: '${cert}' and '${key}'.`,
  );
  return 0;
}
