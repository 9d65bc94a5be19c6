import { certificatesDer } from "../../cluster/pem";
import type { DeclarativeConfig } from "../../declarative/config";
import { COLD_TYPES } from "../../snapshot/cold";
import { consumerKeys } from "./consumer-keys";
import type { Consumer, ConsumerLookup, Credential, JwtSecret } from "./types";

type Found = unknown[] | Promise<unknown[]>;

const first = <T>(found: Found): T | undefined | Promise<T | undefined> =>
  Array.isArray(found) ? (found[0] as T | undefined) : found.then((v) => v[0] as T | undefined);

/**
 * Consumers and credentials by the keys of `consumerKeys`, wherever the rows are kept; CA
 * certificates (part of every isolate's config) by id.
 */
export abstract class KeyedConsumers implements ConsumerLookup {
  private readonly cas = new Map<string, Uint8Array>();

  constructor(config: DeclarativeConfig) {
    for (const ca of (config.ca_certificates ?? []) as unknown as Array<{ id: string; cert: string }>) {
      const der = certificatesDer(ca.cert)[0];
      if (der) this.cas.set(ca.id, der);
    }
  }

  /** Every value stored under a key, in order. */
  protected abstract find(key: string): Found;

  consumer(idOrUsername: string) {
    const byId = first<Consumer>(this.find(`c:${idOrUsername.toLowerCase()}`));
    const orName = (c: Consumer | undefined) => c ?? first<Consumer>(this.find(`u:${idOrUsername}`));
    return byId instanceof Promise ? byId.then(orName) : orName(byId);
  }

  consumerByCustomId(customId: string) {
    return first<Consumer>(this.find(`x:${customId}`));
  }

  keyAuth(key: string) {
    return first<Credential>(this.find(`k:${key}`));
  }

  basicAuth(username: string) {
    return first<Credential & { username: string; password: string }>(this.find(`b:${username}`));
  }

  jwtSecret(key: string) {
    return first<JwtSecret>(this.find(`j:${key}`));
  }

  groups(consumerId: string) {
    return this.find(`a:${consumerId}`) as string[] | Promise<string[]>;
  }

  caCertificate(id: string): Uint8Array | undefined {
    return this.cas.get(id);
  }
}

/** Consumers and their credentials, indexed in memory once per config: a lookup, never a scan. */
export class ConsumerIndex extends KeyedConsumers {
  private readonly rows = new Map<string, unknown[]>();

  constructor(config: DeclarativeConfig) {
    super(config);
    const c = config as unknown as Record<string, Array<Record<string, unknown>> | undefined>;
    for (const type of COLD_TYPES) {
      for (const entity of c[type] ?? []) {
        for (const [key, value] of consumerKeys(type, entity)) {
          const list = this.rows.get(key);
          if (list) list.push(value);
          else this.rows.set(key, [value]);
        }
      }
    }
  }

  protected find(key: string): unknown[] {
    return this.rows.get(key) ?? [];
  }
}
