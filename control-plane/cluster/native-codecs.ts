import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { Md5 } from "../../shared/hash/config-hash";

/*
 * The control plane's runtime codecs (Node's, or workerd's with nodejs_compat), where the portable
 * ones are slow on a large config: the config hash is mostly MD5, and sealing mostly gzip, which
 * zlib does several times faster than a CompressionStream, to the same bytes.
 */

export const nativeMd5: Md5 = (bytes) => new Uint8Array(createHash("md5").update(bytes).digest());

export const nativeGzip = (bytes: Uint8Array): Uint8Array => new Uint8Array(gzipSync(bytes));
