/**
 * `writes` route creations in a row on service `bench`, each timed from the POST until `served`
 * resolves for the new path (every DP answers 200 on it).
 */
export async function measurePropagation(
  writes: number,
  postTo: (path: string, body: unknown) => Promise<Response>,
  served: (path: string) => Promise<unknown>,
  prefix: string,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < writes; i++) {
    const t = performance.now();
    const r = await postTo("/services/bench/routes", { paths: [`/${prefix}${i}`], strip_path: false });
    if (r.status !== 201) throw new Error(`route write failed: ${r.status}`);
    await served(`/${prefix}${i}`);
    times.push(performance.now() - t);
  }
  return times;
}
