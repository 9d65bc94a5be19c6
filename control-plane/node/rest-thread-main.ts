import { parentPort, workerData } from "node:worker_threads";
import { isHashedApart } from "../../shared/hash/config-hash";
import { ConfigExporter } from "../cluster/exporter";
import { nativeMd5 } from "../cluster/native-codecs";
import { SnapshotBuilder } from "../cluster/snapshot-builder";
import { createDaos, ENTITY_NAMES } from "../dao";
import { openPostgres, type PostgresConnection } from "../db/client";
import { DeflateThreads } from "./deflate-threads";
import type { RestReply, RestRequest } from "./rest-thread";

/*
 * The rest thread (`RestThread`): exports the types Kong hashes together (certificates, SNIs, CA
 * certificates, consumers and credentials) at the snapshot the control plane's own export shares,
 * on a connection of its own, and builds them (`SnapshotBuilder.buildRest`). Its exporter and
 * builder keep what they made between builds, as the control plane's do.
 */

const port = parentPort;
if (!port) throw new Error("rest-thread-main.ts runs in a worker thread");

const database = openPostgres({ ...(workerData as PostgresConnection), max: 1 });
const daos = createDaos(database.db, () => {});
const exporter = new ConfigExporter(database.db, daos, database.read);
const types = ENTITY_NAMES.filter((name) => !isHashedApart(name));
// its runs compressed on a thread of their own while it makes the next run's text, as the
// publisher's are
const builder = new SnapshotBuilder(new DeflateThreads({ threads: 1 }).deflate, nativeMd5);

const reply = (m: RestReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/**
 * Warms up before it says it is ready: an export and a build at a snapshot of its own, dropped, so
 * that the first build asked of it reads and builds only what changed since, as the control plane's
 * would have (which drops what it kept of these types once the thread builds them). A failure only
 * leaves the first build to read everything.
 */
async function warmUp(): Promise<void> {
  try {
    await builder.buildRest(await exporter.export({ types }));
  } catch {
    // the first build asked of it fails the same way, and says why
  }
  reply({ id: -1, ready: true });
}

// one build at a time, in the order asked
let queue = warmUp();
port.on("message", (m: RestRequest) => {
  queue = queue.then(async () => {
    try {
      const exp = await exporter.export({
        types,
        at: { snapshot: m.snapshot, taken: () => reply({ id: m.id, taken: true }) },
      });
      const part = await builder.buildRest(exp);
      // the cold section is made for this build alone: moved, not copied
      reply({ id: m.id, part }, [part.cold.gzip.buffer as ArrayBuffer]);
    } catch (e) {
      reply({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
});
