import { FAULTS_ADMIN_KEY } from './stack.js';

/** One GraphQL request with the harness's admin key, for probes beside the load (never part of its figures). */
export async function adminGraphql<T>(url: string, query: string, variables: Record<string, unknown> = {}, timeoutMs = 5_000): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${FAULTS_ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.errors?.length) throw new Error(`GraphQL ${body.errors[0].extensions?.code}: ${body.errors[0].message}`);
  return body.data as T;
}

/** GET /readyz: true on 200, false on any other answer or no answer. */
export async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false; // not listening (yet/any more): not ready
  }
}
