/** Lintel's own version. */
export const LINTEL_VERSION = "0.1.0";

/**
 * The Kong version whose behaviour Lintel follows. It is what the Admin API reports as `version`
 * (tools such as decK choose their format from it) and what data planes send as `node_version`, so
 * Kong's CP/DP compatibility rules apply unchanged.
 */
export const KONG_VERSION = "3.10.0";
