import type { ExportedRoute } from "../../shared/declarative/config";

/**
 * A route as a CP exports it, Kong's defaults filled in and not validated: for router tests that
 * feed Kong's own spec inputs as they are (unnormalised paths included).
 */
export function exportedRoute(
  fields: Partial<ExportedRoute> & { id: string },
  serviceId: string | null,
): ExportedRoute {
  return {
    created_at: 1,
    updated_at: 1,
    name: null,
    protocols: ["http", "https"],
    methods: null,
    hosts: null,
    paths: null,
    headers: null,
    https_redirect_status_code: 426,
    regex_priority: 0,
    strip_path: true,
    path_handling: "v0",
    preserve_host: false,
    request_buffering: true,
    response_buffering: true,
    snis: null,
    sources: null,
    destinations: null,
    tags: null,
    service: serviceId,
    ...fields,
  };
}
