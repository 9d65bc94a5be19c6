import type { Consumer, Credential, Exit, PluginEnvironment, PluginRequest } from "./types";

/** Kong's consumer headers for the service (kong/plugins/key-auth/handler.lua `set_consumer`). */
export function setConsumer(
  req: PluginRequest,
  consumer: Consumer,
  credential: Credential | undefined,
): void {
  req.consumer = consumer;
  req.credential = credential;
  const h = req.upstreamHeaders;
  const set = (name: string, value: string | null | undefined) =>
    value ? h.set(name, value) : h.delete(name);
  set("x-consumer-id", consumer.id);
  set("x-consumer-custom-id", consumer.custom_id);
  set("x-consumer-username", consumer.username);
  set("x-credential-identifier", credential?.id);
  if (credential) h.delete("x-anonymous-consumer");
  else h.set("x-anonymous-consumer", "true");
}

/**
 * Kong's `anonymous` for an authentication plugin that could not identify the client: with an
 * anonymous consumer configured, the request goes on as that consumer; without one, `refusal`.
 */
export async function orAnonymous(
  req: PluginRequest,
  anonymous: string | null,
  env: PluginEnvironment,
  refusal: Exit,
): Promise<Exit | undefined> {
  if (!anonymous) return refusal;
  const consumer = await env.consumers.consumer(anonymous);
  if (!consumer)
    return { status: 500, message: `anonymous consumer ${anonymous} is configured but doesn't exist` };
  setConsumer(req, consumer, undefined);
  return undefined;
}
