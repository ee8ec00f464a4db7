import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * A failure of the connection or of the server, not of the statement: the same read
 * answers on the primary. SQLSTATE classes 08 (connection), 57P (shut down, cannot
 * connect now), 53300 (too many connections), 40001 (a hot standby cancelled the query
 * in a conflict with recovery); an error without a SQLSTATE is a socket failure.
 */
export function isReplicaFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith('08') || code.startsWith('57P') || code === '53300' || code === '40001';
}

interface Counted {
  statements: number;
  fallbacks: number;
}

/**
 * A replica's pool as Kysely sees it: a statement runs on the replica, and when the
 * replica cannot be reached or fails on the connection, on the primary, so a dead
 * replica costs a request no error. Only for reads outside transactions (Kysely takes a
 * connection per statement): a read is safe to run twice.
 */
export class FallbackPool implements PostgresPool {
  constructor(
    private readonly replica: Counted & { readonly pool: pg.Pool },
    private readonly primary: pg.Pool,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    try {
      return new FallbackClient(await this.replica.pool.connect(), this);
    } catch (error) {
      this.onFailure(error);
      return new FallbackClient(await this.primary.connect(), this, false);
    }
  }

  /** The pools are ended by their owner (ReadReplicas.close, the primary's Database). */
  async end(): Promise<void> {}

  /** @internal */
  counted(onReplica: boolean, fellBack: boolean): void {
    if (onReplica) this.replica.statements += 1;
    else if (fellBack) this.replica.fallbacks += 1;
  }

  /** @internal */
  failed(error: unknown): Promise<pg.PoolClient> {
    this.onFailure(error);
    return this.primary.connect();
  }
}

class FallbackClient implements PostgresPoolClient {
  private released = false;

  constructor(
    private client: pg.PoolClient,
    private readonly owner: FallbackPool,
    private onReplica = true,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query(cursor: never): never;
  query<R>(sqlOrCursor: string, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    return this.run<R>(sqlOrCursor, parameters ?? []);
  }

  private async run<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    const fellBack = !this.onReplica;
    try {
      const result = await this.client.query(sql, [...parameters]);
      this.owner.counted(this.onReplica, fellBack);
      return result as unknown as PostgresQueryResult<R>;
    } catch (error) {
      if (!this.onReplica || !isReplicaFailure(error)) throw error;
      // The failed connection is destroyed, not returned to the pool.
      this.client.release(error as Error);
      this.onReplica = false;
      try {
        this.client = await this.owner.failed(error);
      } catch (primaryError) {
        this.released = true; // nothing left to release
        throw primaryError;
      }
      const result = await this.client.query(sql, [...parameters]);
      this.owner.counted(false, true);
      return result as unknown as PostgresQueryResult<R>;
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.client.release();
  }
}
