import type { Family } from "./families";

type Line = { labels: string; values: readonly number[] };

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(names: readonly string[], values: readonly string[]): string {
  return names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`).join(",");
}

const braces = (labels: string) => (labels ? `{${labels}}` : "");

/**
 * Prometheus' text format (0.0.4), as Kong's `/metrics` writes it: `# HELP` and `# TYPE` once per
 * family, families by name, series by labels; a histogram's buckets cumulative with `le` as a
 * plain number and `+Inf`, then `_sum` and `_count`.
 */
export class Exposition {
  private readonly families = new Map<string, { family: Family; lines: Line[] }>();

  /** One series: `values` as in MetricsWire (`[value]`, or a histogram's sum, count and buckets). */
  add(
    family: Family,
    labelValues: readonly string[],
    values: readonly number[],
    extra?: [string, string],
  ): void {
    const names = extra ? [...family.labels, extra[0]] : family.labels;
    const all = extra ? [...labelValues, extra[1]] : labelValues;
    let entry = this.families.get(family.name);
    if (!entry) {
      entry = { family, lines: [] };
      this.families.set(family.name, entry);
    }
    entry.lines.push({ labels: labelText(names, all), values });
  }

  text(): string {
    const out: string[] = [];
    const names = [...this.families.keys()].sort();
    for (const name of names) {
      const { family, lines } = this.families.get(name) as { family: Family; lines: Line[] };
      out.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      lines.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
      for (const line of lines) {
        if (family.type !== "histogram") {
          out.push(`${name}${braces(line.labels)} ${line.values[0] ?? 0}`);
          continue;
        }
        const sep = line.labels ? `${line.labels},` : "";
        const bounds = family.buckets ?? [];
        let cumulative = 0;
        for (let i = 0; i <= bounds.length; i++) {
          cumulative += line.values[2 + i] ?? 0;
          const le = i < bounds.length ? String(bounds[i]) : "+Inf";
          out.push(`${name}_bucket{${sep}le="${le}"} ${cumulative}`);
        }
        out.push(`${name}_sum${braces(line.labels)} ${line.values[0] ?? 0}`);
        out.push(`${name}_count${braces(line.labels)} ${line.values[1] ?? 0}`);
      }
    }
    return out.length ? `${out.join("\n")}\n` : "";
  }
}
