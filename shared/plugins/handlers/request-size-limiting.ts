import type { PluginHandler } from "../runtime/types";

type Config = {
  allowed_payload_size: number;
  size_unit: "megabytes" | "kilobytes" | "bytes";
  require_content_length: boolean;
};

const FACTOR = { bytes: 1, kilobytes: 1024, megabytes: 1048576 };

/** Kong's request-size-limiting: Content-Length, or the body itself, against the allowed size. */
export const requestSizeLimiting: PluginHandler<Config> = {
  name: "request-size-limiting",
  priority: 951,
  async access(req, conf) {
    const limit = conf.allowed_payload_size * FACTOR[conf.size_unit];
    const tooLarge = (length: number) =>
      length > limit
        ? {
            status: (req.headers.get("expect") ?? "").trim().toLowerCase() === "100-continue" ? 417 : 413,
            message: "Request size limit exceeded",
          }
        : undefined;
    const declared = req.headers.get("content-length");
    if (declared !== null && declared.trim() !== "" && Number.isFinite(Number(declared)))
      return tooLarge(Number(declared));
    if (conf.require_content_length && req.headers.get("transfer-encoding") !== "chunked") {
      return { status: 411, message: "A valid Content-Length header is required" };
    }
    const body = await req.body();
    return body ? tooLarge(body.byteLength) : undefined;
  },
};
