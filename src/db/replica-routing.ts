import type { Db } from './database.js';
import type { ReadReplicas, ReplicaState } from './read-replicas.js';

/**
 * Where one request's reads go. The first read picks a replica (round robin among the
 * usable ones) and the request stays on it, so all its statements see one server's
 * history; it moves to the primary, never back, when
 * - the request wrote (`primaryFromNow`: mutations, so a write's request reads its write),
 * - the replica stopped being usable (failed, or further behind than the lag fence),
 * - a fresh read (a @cached field recomputing tags a write noted, see `raise`) needs a
 *   commit the replica has not replayed yet.
 * "Never back" keeps answers coherent: a later statement never reads an older server
 * than an earlier one did (e.g. the aggregate watermark, then the rows it covers).
 */
export class RequestReads {
  /** undefined: not chosen yet; null: the primary. */
  private target: ReplicaState | null | undefined;
  /** The highest commit LSN the fresh reads of this request must see. */
  private floor = 0n;

  constructor(private readonly replicas: ReadReplicas) {}

  /** This request wrote, or is a write's: everything from now on reads the primary. */
  primaryFromNow(): void {
    this.target = null;
  }

  get onPrimary(): boolean {
    return this.target === null;
  }

  /** A fresh computation starts that must see commits up to `lsn`. */
  raise(lsn: bigint): void {
    if (lsn > this.floor) this.floor = lsn;
  }

  /** The database for this request's next statement; `fresh` for reads of @cached fields whose tags carry a noted commit. */
  db(fresh: boolean): Db {
    if (this.target === undefined) this.target = this.replicas.pick();
    const replica = this.target;
    if (replica) {
      const behind = fresh && (replica.replayLsn === null || replica.replayLsn < this.floor);
      if (!behind && this.replicas.usable(replica)) return replica.db;
      this.target = null;
    }
    return this.replicas.primaryDb;
  }
}
