import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';

export interface GraphqlResponse<T> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
    extensions?: Record<string, unknown>;
  };
}

/** A plain HTTP GraphQL client (fetch): the tests talk to a listening server like any client. */
export async function graphqlRequest<T = Record<string, unknown>, V = Record<string, unknown>>(
  url: string,
  document: TypedDocumentNode<T, V> | DocumentNode | string,
  options: { variables?: V; key?: string | null; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GraphqlResponse<T>> {
  const query = typeof document === 'string' ? document : print(document);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables ?? {} }),
    signal: options.signal,
  });
  const text = await response.text();
  let body: GraphqlResponse<T>['body'];
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Non-JSON response ${response.status}: ${text.slice(0, 500)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

/** The data of a response that must have no errors. */
export function dataOf<T>(response: GraphqlResponse<T>): T {
  if (response.body.errors?.length || !response.body.data) {
    throw new Error(`Expected data, got ${response.status}: ${JSON.stringify(response.body.errors ?? response.body)}`);
  }
  return response.body.data;
}
