/** Reconnect delay: exponential from 1 s to 60 s, with ±50 % jitter so DPs do not reconnect in step. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
  return Math.round(base * (0.5 + random()));
}
