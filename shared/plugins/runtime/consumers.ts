import { certificatesDer } from "../../cluster/pem";
import type { DeclarativeConfig } from "../../declarative/config";
import type { Consumer, ConsumerLookup, Credential, JwtSecret } from "./types";

/** Consumers and their credentials, indexed once per config: a lookup, never a scan, per request. */
export class ConsumerIndex implements ConsumerLookup {
  private readonly byId = new Map<string, Consumer>();
  private readonly byUsername = new Map<string, Consumer>();
  private readonly keys = new Map<string, Credential>();
  private readonly acls = new Map<string, string[]>();
  private readonly jwts = new Map<string, JwtSecret>();
  private readonly byCustomId = new Map<string, Consumer>();
  private readonly cas = new Map<string, Uint8Array>();
  private readonly basic = new Map<string, Credential & { username: string; password: string }>();

  constructor(config: DeclarativeConfig) {
    for (const c of (config.consumers ?? []) as unknown as Consumer[]) {
      const consumer = { id: c.id, username: c.username ?? null, custom_id: c.custom_id ?? null };
      this.byId.set(c.id, consumer);
      if (c.username) this.byUsername.set(c.username, consumer);
      if (c.custom_id) this.byCustomId.set(c.custom_id, consumer);
    }
    for (const k of (config.keyauth_credentials ?? []) as unknown as Array<
      Credential & { key: string; consumer: string | { id: string } }
    >) {
      const consumerId = typeof k.consumer === "string" ? k.consumer : k.consumer?.id;
      if (consumerId) this.keys.set(k.key, { ...k, consumer: { id: consumerId } });
    }
    for (const j of (config.jwt_secrets ?? []) as unknown as Array<
      JwtSecret & { consumer: string | { id: string } }
    >) {
      const consumerId = typeof j.consumer === "string" ? j.consumer : j.consumer?.id;
      if (consumerId) this.jwts.set(j.key, { ...j, consumer: { id: consumerId } });
    }
    for (const ca of (config.ca_certificates ?? []) as unknown as Array<{ id: string; cert: string }>) {
      const der = certificatesDer(ca.cert)[0];
      if (der) this.cas.set(ca.id, der);
    }
    type Basic = Credential & { username: string; password: string; consumer: string | { id: string } };
    for (const b of (config.basicauth_credentials ?? []) as unknown as Basic[]) {
      const consumerId = typeof b.consumer === "string" ? b.consumer : b.consumer?.id;
      if (consumerId) this.basic.set(b.username, { ...b, consumer: { id: consumerId } });
    }
    for (const a of (config.acls ?? []) as unknown as Array<{
      group: string;
      consumer: string | { id: string };
    }>) {
      const consumerId = typeof a.consumer === "string" ? a.consumer : a.consumer?.id;
      if (!consumerId) continue;
      const list = this.acls.get(consumerId) ?? [];
      list.push(a.group);
      this.acls.set(consumerId, list);
    }
  }

  basicAuth(username: string): (Credential & { username: string; password: string }) | undefined {
    return this.basic.get(username);
  }

  consumerByCustomId(customId: string): Consumer | undefined {
    return this.byCustomId.get(customId);
  }

  caCertificate(id: string): Uint8Array | undefined {
    return this.cas.get(id);
  }

  jwtSecret(key: string): JwtSecret | undefined {
    return this.jwts.get(key);
  }

  groups(consumerId: string): string[] {
    return this.acls.get(consumerId) ?? [];
  }

  consumer(idOrUsername: string): Consumer | undefined {
    return this.byId.get(idOrUsername.toLowerCase()) ?? this.byUsername.get(idOrUsername);
  }

  keyAuth(key: string): Credential | undefined {
    return this.keys.get(key);
  }
}
