import { describe, expect, it } from "vitest";
import { Exposition } from "./exposition";
import { CP_FAMILIES, dpFamily } from "./families";

describe("Exposition", () => {
  it("writes Prometheus' text format: HELP and TYPE once per family, families by name, labels escaped", () => {
    const out = new Exposition();
    out.add(CP_FAMILIES.nodeInfo, ["n-2", "3.10.0"], [1]);
    out.add(CP_FAMILIES.datastoreReachable, [], [1]);
    out.add(CP_FAMILIES.nodeInfo, ["n-1", 'a"b\\c\nd'], [1]);
    expect(out.text()).toBe(
      [
        "# HELP kong_datastore_reachable Datastore reachable from Kong, 0 is unreachable",
        "# TYPE kong_datastore_reachable gauge",
        "kong_datastore_reachable 1",
        "# HELP kong_node_info Kong Node metadata information",
        "# TYPE kong_node_info gauge",
        'kong_node_info{node_id="n-1",version="a\\"b\\\\c\\nd"} 1',
        'kong_node_info{node_id="n-2",version="3.10.0"} 1',
        "",
      ].join("\n"),
    );
  });

  it("writes a histogram's buckets cumulative, with plain `le` bounds and +Inf, then sum and count", () => {
    const family = dpFamily("kong_kong_latency_ms");
    if (!family) throw new Error("kong_kong_latency_ms is a family");
    const values = new Array(2 + 18).fill(0);
    values[0] = 12; // sum
    values[1] = 3; // count
    values[2] = 1; // le=1
    values[4] = 2; // le=5
    const lines = (() => {
      const out = new Exposition();
      out.add(family, ["s", "r", "default"], values, ["node_id", "dp"]);
      return out.text().split("\n");
    })();
    const labels = 'service="s",route="r",workspace="default",node_id="dp"';
    expect(lines).toContain(`kong_kong_latency_ms_bucket{${labels},le="1"} 1`);
    expect(lines).toContain(`kong_kong_latency_ms_bucket{${labels},le="2"} 1`);
    expect(lines).toContain(`kong_kong_latency_ms_bucket{${labels},le="5"} 3`);
    expect(lines).toContain(`kong_kong_latency_ms_bucket{${labels},le="6000"} 3`);
    expect(lines).toContain(`kong_kong_latency_ms_bucket{${labels},le="+Inf"} 3`);
    expect(lines.slice(-3)).toEqual([
      `kong_kong_latency_ms_sum{${labels}} 12`,
      `kong_kong_latency_ms_count{${labels}} 3`,
      "",
    ]);
  });
});
