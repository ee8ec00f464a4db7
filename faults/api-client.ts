import { dataOf, graphqlRequest } from '../test/helpers/graphql-client.js';
import { FAULTS_ADMIN_KEY } from './stack.js';

/** One GraphQL request with the harness's admin key, for probes beside the load (never part of its figures). */
export async function adminGraphql<T>(url: string, query: string, variables: Record<string, unknown> = {}, timeoutMs = 5_000): Promise<T> {
  return dataOf(await graphqlRequest<T>(url, query, { key: FAULTS_ADMIN_KEY, variables, signal: AbortSignal.timeout(timeoutMs) }));
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
