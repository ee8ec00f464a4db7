import type pg from 'pg';
import type { Logger } from '../logger.js';
import { formatLsn, parseLsn, PRIMARY_ONLY, type CommitLsnNotes } from './commit-lsn.js';
import type { Database, Db } from './database.js';
import { loggedPool } from './logged-client.js';
import { FallbackPool } from './replica-pool.js';

/** How often each replica's replay position is read (ms): the age of the position the routing compares with a note. */
const PROBE_INTERVAL_MS = 200;
/** The primary's insert position is sampled every this many probes (1 s): the lag fence below. */
const PRIMARY_SAMPLE_EVERY = 5;
const PROBE_TIMEOUT_MS = 1_000;

export interface ReadReplicasOptions {
  /** DATABASE_READ_URLS, in order. */
  urls: readonly string[];
  /** The primary: writes, the fallback of every replica, and where commit LSNs are read. */
  primary: Database;
  /** The primary's URL (DATABASE_URL): its lag fence is sampled on a connection of its own. */
  primaryUrl: string;
  notes: CommitLsnNotes;
  /** A replica further behind than this is skipped; notes live longer (CommitLsnNotes.ttlMs). */
  maxLagMs: number;
  poolMax: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  logger: Logger;
}

/** One replica as the routing and Metrics.database.replicas see it. */
export interface ReplicaState {
  /** The URL with its password masked. */
  readonly url: string;
  readonly db: Db;
  /** The last probe answered and no connection failed since. */
  healthy: boolean;
  /** pg_last_wal_replay_lsn() at the last probe (a lower bound of the current one). */
  replayLsn: bigint | null;
  /** Bytes of WAL the primary had written (last sample) that the replica had not replayed. */
  lagBytes: number | null;
  /** now() − pg_last_xact_replay_timestamp() on the replica, 0 when it has replayed all it received. */
  lagSeconds: number | null;
  /** Statements this replica answered for requests. */
  statements: number;
  /** Statements sent to it that failed on the connection and ran on the primary instead. */
  fallbacks: number;
}

export function maskedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

interface Replica extends ReplicaState {
  readonly pool: pg.Pool;
  readonly probePool: pg.Pool;
}

/**
 * The read replicas of DATABASE_READ_URLS: a request pool each (falling back to the
 * primary per statement when the replica's connection fails), a probe every 200 ms
 * (health, replay LSN, lag), round-robin choice among the usable ones, and commit LSN
 * notes for writes. Usable = healthy, and replayed at least what the primary had written
 * maxLagMs ago (the "lag fence": a note may expire only once no usable replica can still
 * miss its write).
 */
export class ReadReplicas {
  readonly replicas: readonly Replica[];
  private readonly primaryProbe: pg.Pool;
  /** Primary insert positions sampled over the last maxLagMs (oldest first). */
  private readonly samples: Array<{ at: number; lsn: bigint }> = [];
  private next = 0;
  private ticks = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: ReadReplicasOptions) {
    const { logger } = options;
    const probePool = (connectionString: string, name: string) =>
      loggedPool(
        {
          connectionString,
          max: 1,
          connectionTimeoutMillis: PROBE_TIMEOUT_MS,
          statement_timeout: PROBE_TIMEOUT_MS,
          idleTimeoutMillis: 30_000,
          application_name: name,
        },
        () => {},
      );
    this.primaryProbe = probePool(options.primaryUrl, 'graphpulse:replica-fence');
    this.replicas = options.urls.map((url) => {
      const shown = maskedUrl(url);
      const replica: Replica = {
        url: shown,
        healthy: false,
        replayLsn: null,
        lagBytes: null,
        lagSeconds: null,
        statements: 0,
        fallbacks: 0,
        probePool: probePool(url, 'graphpulse:replica-probe'),
        pool: loggedPool(
          {
            connectionString: url,
            max: options.poolMax,
            // A dead replica must cost a request little: the statement then runs on the primary.
            connectionTimeoutMillis: Math.min(options.connectTimeoutMs, PROBE_TIMEOUT_MS),
            statement_timeout: options.statementTimeoutMs,
            application_name: 'graphpulse:replica',
          },
          (error) => this.markDown(replica, error),
        ),
        db: undefined as unknown as Db,
      };
      (replica as { db: Db }).db = options.primary.over(
        new FallbackPool(replica, options.primary.pool, (error) => this.markDown(replica, error)),
      );
      logger.info({ replica: shown }, 'read replica configured');
      return replica;
    });
  }

  /** Starts probing; resolves after the first round, so the first requests can already use replicas. */
  async start(): Promise<void> {
    await this.probeRound();
    this.schedule();
  }

  /** The next usable replica in round-robin order, null when none is (the primary answers). */
  pick(): ReplicaState | null {
    const fence = this.fence();
    for (let i = 0; i < this.replicas.length; i += 1) {
      const replica = this.replicas[(this.next + i) % this.replicas.length];
      if (this.usable(replica, fence)) {
        this.next = (this.next + i + 1) % this.replicas.length;
        return replica;
      }
    }
    return null;
  }

  /** Still fit for this request's next statement: healthy and within the lag fence. */
  usable(replica: ReplicaState, fence = this.fence()): boolean {
    return replica.healthy && replica.replayLsn !== null && replica.replayLsn >= fence;
  }

  get primaryDb(): Db {
    return this.options.primary.db;
  }

  /**
   * After a write committed and before its tags are invalidated: notes the primary's
   * insert position (≥ the commit's LSN) for the tags. If it cannot be read, the tags
   * read from the primary for the notes' lifetime.
   */
  async noteCommit(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    let lsn = PRIMARY_ONLY;
    try {
      const { rows } = await this.options.primary.pool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      lsn = parseLsn(rows[0]?.lsn) ?? PRIMARY_ONLY;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'commit LSN not read; the written tags read from the primary for a while');
    }
    await this.options.notes.note(tags, lsn);
  }

  /** The highest commit LSN noted for the tags (0n: none). */
  floorFor(tags: readonly string[]): Promise<bigint> {
    return this.options.notes.floorFor(tags);
  }

  /** Metrics.database.replicas and /readyz detail. */
  snapshot(): Array<Omit<ReplicaState, 'db' | 'replayLsn'> & { replayLsn: string | null }> {
    return this.replicas.map((r) => ({
      url: r.url,
      healthy: r.healthy,
      lagBytes: r.lagBytes,
      lagSeconds: r.lagSeconds,
      replayLsn: r.replayLsn === null ? null : formatLsn(r.replayLsn),
      statements: r.statements,
      fallbacks: r.fallbacks,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([this.primaryProbe.end(), ...this.replicas.flatMap((r) => [r.pool.end(), r.probePool.end()])]);
  }

  private markDown(replica: Replica | ReplicaState, error: unknown): void {
    if (!replica.healthy || this.closed) return;
    replica.healthy = false;
    this.options.logger.warn({ err: error, replica: replica.url }, 'read replica failed; reads go to the primary until it answers again');
  }

  /** The LSN a replica must have replayed to be used: the oldest primary sample of the last maxLagMs. */
  private fence(): bigint {
    const since = Date.now() - this.options.maxLagMs;
    const sample = this.samples.find((s) => s.at >= since);
    return sample ? sample.lsn : PRIMARY_ONLY;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.probeRound().finally(() => this.schedule()), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  private async probeRound(): Promise<void> {
    const sample = this.ticks % PRIMARY_SAMPLE_EVERY === 0;
    this.ticks += 1;
    await Promise.all([sample ? this.samplePrimary() : null, ...this.replicas.map((r) => this.probe(r))]);
  }

  private async samplePrimary(): Promise<void> {
    const at = Date.now(); // taken before asking: the position read is at least the one at `at`
    try {
      const { rows } = await this.primaryProbe.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      const lsn = parseLsn(rows[0]?.lsn);
      if (lsn !== null) this.samples.push({ at, lsn });
    } catch {
      // No new sample: the fence rises to "no replica" once the last one is older than maxLagMs.
    }
    const keepSince = Date.now() - this.options.maxLagMs - 2_000;
    while (this.samples.length > 1 && this.samples[0].at < keepSince) this.samples.shift();
  }

  private async probe(replica: Replica): Promise<void> {
    try {
      const { rows } = await replica.probePool.query<{ standby: boolean; replay: string | null; lag_seconds: number | null }>(
        `SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay,
                CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 END AS lag_seconds`,
      );
      const row = rows[0];
      if (!row?.standby) throw new Error('not a standby (pg_is_in_recovery() is false): it is not used for reads');
      const replay = parseLsn(row.replay);
      if (replay !== null && (replica.replayLsn === null || replay > replica.replayLsn)) replica.replayLsn = replay;
      const newest = this.samples.at(-1)?.lsn;
      replica.lagBytes = newest !== undefined && replay !== null ? Math.max(0, Number(newest - replay)) : null;
      replica.lagSeconds = row.lag_seconds === null ? null : Math.max(0, row.lag_seconds);
      if (!replica.healthy) this.options.logger.info({ replica: replica.url }, 'read replica answers: used for reads');
      replica.healthy = true;
    } catch (error) {
      this.markDown(replica, error);
    }
  }
}
