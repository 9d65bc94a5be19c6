import type { EntityCheck } from "../schema/checks";
import type { Field } from "../schema/types";

/**
 * A plugin as Kong defines one: name, version, priority (higher runs first) and the schema of its
 * `config`. The runtime phases are added by the data plane when the plugin runs there.
 */
export type PluginDefinition = {
  name: string;
  version: string;
  priority: number;
  config: Readonly<Record<string, Field>>;
  /** Entity checks on the plugin entity, reading `config.<field>` paths. */
  checks?: readonly EntityCheck[];
  /** Authentication plugins identify consumers; they cannot themselves be scoped to one. */
  noConsumer?: boolean;
};
