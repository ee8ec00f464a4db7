import DataLoader from 'dataloader';

/**
 * Per-request home of every DataLoader (reached through `ctx.loaders`, which notes the
 * data access for the operation cache). Loaders whose batch depends on field arguments
 * (a range, a limit) are keyed by those arguments, so `Store.revenue(range: A)` for 20
 * stores is one statement and `revenue(range: B)` another.
 */
export class LoaderRegistry {
  private readonly loaders = new Map<string, DataLoader<unknown, unknown>>();

  /** Per-request values (once) shared with another registry, e.g. today's day. */
  constructor(private readonly onces = new Map<string, Promise<unknown>>()) {}

  /** Loaders of their own (rows read elsewhere), the same once-values: a fresh computation's (read replicas). */
  partition(): LoaderRegistry {
    return new LoaderRegistry(this.onces);
  }

  get<K, V>(name: string, argsKey: string, batch: (keys: readonly K[]) => Promise<ArrayLike<V | Error>>): DataLoader<K, V> {
    const id = `${name}\u0000${argsKey}`;
    let loader = this.loaders.get(id) as DataLoader<K, V> | undefined;
    if (!loader) {
      // setImmediate gathers every load of the current macrotask into one batch, however deep in
      // promise chains (cache lookups, auth) each field's load was issued; nextTick would split them.
      loader = new DataLoader<K, V>(batch, { maxBatchSize: 1000, batchScheduleFn: (run) => setImmediate(run) });
      this.loaders.set(id, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }

  /** One value per request (e.g. the aggregate watermark), computed on first use. */
  once<V>(name: string, compute: () => Promise<V>): Promise<V> {
    let value = this.onces.get(name) as Promise<V> | undefined;
    if (!value) {
      value = compute();
      this.onces.set(name, value);
    }
    return value;
  }
}

/** Orders a batch's results by the loader's keys; a key without a row gets `missing`. */
export function byKeys<K, V>(keys: readonly K[], rows: Map<K, V>, missing: (key: K) => V | Error): (V | Error)[] {
  return keys.map((key) => (rows.has(key) ? (rows.get(key) as V) : missing(key)));
}
