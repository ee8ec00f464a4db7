import { createClient, type Client } from 'graphql-ws';

/** One GraphQL error as the API sends it: the message and its stable extensions.code. */
export interface ApiError {
  message: string;
  code: string | null;
}

/** A failed operation (transport, HTTP or GraphQL errors), with the codes to tell a refused key from the rest. */
export class ApiFailure extends Error {
  constructor(readonly errors: ApiError[]) {
    super(errors.map((e) => e.message).join('; ') || 'request failed');
    this.name = 'ApiFailure';
  }

  has(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

interface GraphqlBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const toApiErrors = (errors: GraphqlBody<unknown>['errors']): ApiError[] =>
  (errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code ?? null }));

/**
 * The dashboard's only way to the server: the public GraphQL API with the key in the
 * Authorization header (HTTP) and in connectionParams (graphql-ws), exactly as any other
 * client. Any error makes the whole operation fail: each panel asks for its own fields,
 * so one missing or failing field costs that panel only.
 */
export class ApiClient {
  private readonly httpUrl: URL;
  private ws: Client | null = null;

  constructor(
    endpoint: string,
    private readonly key: string,
  ) {
    this.httpUrl = new URL(endpoint, document.baseURI);
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${this.key}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new ApiFailure([{ message: `the server did not answer (${String(error)})`, code: 'NETWORK' }]);
    }
    let body: GraphqlBody<T>;
    try {
      body = (await response.json()) as GraphqlBody<T>;
    } catch {
      throw new ApiFailure([{ message: `HTTP ${response.status} without a GraphQL body`, code: `HTTP_${response.status}` }]);
    }
    if (body.errors?.length || !body.data) {
      throw new ApiFailure(
        body.errors?.length ? toApiErrors(body.errors) : [{ message: `HTTP ${response.status} without data`, code: null }],
      );
    }
    return body.data;
  }

  /**
   * A subscription that stays open: `onEvent` for each event, `onError` when the server
   * refuses it or the connection gives up (graphql-ws reconnects by itself before that).
   * Returns the function that ends it.
   */
  subscribe<T>(query: string, onEvent: (data: T) => void, onError: (failure: ApiFailure) => void): () => void {
    return this.socket().subscribe<T>(
      { query },
      {
        next: (result) => {
          if (result.errors?.length) onError(new ApiFailure(toApiErrors(result.errors as GraphqlBody<T>['errors'])));
          else if (result.data) onEvent(result.data as T);
        },
        error: (error: unknown) => onError(asFailure(error)),
        complete: () => undefined,
      },
    );
  }

  /** Closes the WebSocket (signing out). */
  dispose(): void {
    void this.ws?.dispose();
    this.ws = null;
  }

  private socket(): Client {
    if (!this.ws) {
      const url = new URL(this.httpUrl);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      this.ws = createClient({
        url: url.href,
        connectionParams: { authorization: `Bearer ${this.key}` },
        // A restarting server or a deploy: keep trying, the page stays open for hours.
        retryAttempts: Infinity,
        shouldRetry: () => true,
      });
    }
    return this.ws;
  }
}

function asFailure(error: unknown): ApiFailure {
  if (error instanceof ApiFailure) return error;
  if (Array.isArray(error)) return new ApiFailure(toApiErrors(error as GraphqlBody<unknown>['errors']));
  if (error instanceof Error) return new ApiFailure([{ message: error.message, code: null }]);
  // A CloseEvent: the server closed the socket with a code and a reason.
  const close = error as { code?: number; reason?: string };
  return new ApiFailure([{ message: `connection closed (${close.code ?? '?'} ${close.reason ?? ''})`.trim(), code: null }]);
}
