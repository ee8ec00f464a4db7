import type pg from 'pg';

/**
 * Sends statements on one connection (one transaction) without waiting for each:
 * send() returns once the previous statement has finished and this one is on its
 * way, so Node generates the next batch while Postgres inserts this one. Only one
 * statement is ever in flight (pg 9 forbids queueing on a busy client), which also
 * bounds memory. The first failure is rethrown by the next send() or drain().
 */
export class QueryPipeline {
  private pending: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  constructor(private readonly client: pg.PoolClient) {}

  async send(name: string, text: string, values: unknown[]): Promise<void> {
    await this.drain();
    this.pending = this.client.query({ name, text, values }).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
      },
    );
  }

  /** Waits for the statement in flight; throws the first failure. */
  async drain(): Promise<void> {
    await this.pending;
    if (this.failure) throw this.failure;
  }

  /** Waits for the statement in flight, ignoring its outcome (before a ROLLBACK). */
  async settle(): Promise<void> {
    await this.pending;
  }
}

/**
 * A Postgres array literal ({1,2,NULL,"text"}). pg would do the same for a JS array,
 * but quotes and regex-escapes every element: ~5× slower on the seed's millions of
 * numbers, which made Node, not Postgres, the bottleneck. Numbers must be finite.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ',';
    if (value === null || value === undefined) out += 'NULL';
    else if (typeof value === 'number') out += value;
    else out += '"' + String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  }
  return out + '}';
}

/**
 * Collects rows column by column and writes them as one
 * `INSERT … SELECT … FROM unnest($1::type[], …)` per batch — ~100× fewer round trips
 * than row-by-row inserts.
 */
export class BatchWriter {
  private columns: unknown[][];
  private rows = 0;
  /** Rows handed to the pipeline so far. */
  written = 0;

  constructor(
    private readonly pipeline: QueryPipeline,
    private readonly name: string,
    private readonly text: string,
    private readonly width: number,
    readonly batchSize: number,
    /** Extra scalar parameters appended after the column arrays. */
    private readonly extra: unknown[] = [],
  ) {
    this.columns = this.empty();
  }

  push(...values: unknown[]): void {
    for (let i = 0; i < this.width; i++) this.columns[i].push(values[i]);
    this.rows++;
  }

  get full(): boolean {
    return this.rows >= this.batchSize;
  }

  get buffered(): number {
    return this.rows;
  }

  async flush(): Promise<void> {
    if (this.rows === 0) return;
    const literals = this.columns.map(arrayLiteral);
    this.written += this.rows;
    this.columns = this.empty();
    this.rows = 0;
    await this.pipeline.send(this.name, this.text, [...literals, ...this.extra]);
  }

  private empty(): unknown[][] {
    return Array.from({ length: this.width }, () => []);
  }
}
