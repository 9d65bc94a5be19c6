import { createHash } from "node:crypto";
import * as zlib from "node:zlib";
import type { Md5 } from "../../shared/hash/config-hash";
import { crc32 } from "../../shared/util/crc32";
import type { FlushDeflate } from "./segmented-gzip";

/*
 * The control plane's runtime codecs (Node's, or workerd's with nodejs_compat), where the portable
 * ones are slow on a large config: the config hash is mostly MD5, and sealing mostly gzip, which
 * zlib does several times faster than a CompressionStream, to the same bytes.
 */

export const nativeMd5: Md5 = (bytes) => new Uint8Array(createHash("md5").update(bytes).digest());

export const nativeGzip = (bytes: Uint8Array): Uint8Array => new Uint8Array(zlib.gzipSync(bytes));

/** zlib's CRC-32 where the runtime has it (Node 20.15 and later). */
const zlibCrc32 = (zlib as { crc32?: (bytes: Uint8Array) => number }).crc32;

export const nativeCrc32 = (bytes: Uint8Array): number => (zlibCrc32 ? zlibCrc32(bytes) : crc32(bytes));

/**
 * zlib's level for a snapshot's runs of entities: 3, the best of its fast levels (1-3, which do
 * not look for a longer match at the next byte). On the large case's 26.8 MB of entities, in runs
 * of 64 KiB: 131 ms for 5.22 MB, against 184 ms for 5.12 MB at 5 and 208 ms for 5.10 MB at zlib's
 * default (6). A build that compresses on its own thread (the managed CP's Hub) is a third faster
 * at it for a snapshot 2 % larger.
 */
export const RUN_DEFLATE_LEVEL = 3;

const RUN_DEFLATE = { level: RUN_DEFLATE_LEVEL, finishFlush: zlib.constants.Z_FULL_FLUSH };

const encoder = new TextEncoder();

export const nativeFlushDeflate: FlushDeflate = (text) => {
  const bytes = encoder.encode(text);
  return {
    deflated: new Uint8Array(zlib.deflateRawSync(bytes, RUN_DEFLATE)),
    crc: nativeCrc32(bytes),
    size: bytes.length,
  };
};
