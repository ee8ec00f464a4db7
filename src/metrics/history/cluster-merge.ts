import { hitRateOf, type CacheSnapshot, type FieldCacheRow } from '../cache-reader.js';
import type { DatabaseSnapshot } from '../database-recorder.js';
import type { HttpSnapshot } from '../http-recorder.js';
import { LatencyHistogram, type EncodedLatency } from '../latency-histogram.js';
import type { ProcessSnapshot } from '../process-monitor.js';
import { RESOLVER_ORDER_KEYS, type ResolverOrderName, type ResolverRow } from '../resolver-recorder.js';
import type { InstanceState } from './instance-state.js';

/**
 * The cluster view of Metrics: every live instance's cumulative state merged into the
 * shapes one instance reports. Counters are summed; latencies are merged HDR histograms
 * (the cluster p99 is the p99 of every request, not an average of p99s); process numbers
 * are sums (memory, resources) except event-loop lag, the worst instance's.
 */

const mergedLatency = (parts: EncodedLatency[]) => {
  const merged = new LatencyHistogram();
  for (const part of parts) merged.addEncoded(part);
  return merged.summary();
};

export function mergeHttp(states: readonly InstanceState[]): HttpSnapshot {
  const statuses = new Map<number, number>();
  for (const s of states) for (const { status, count } of s.http.statuses) statuses.set(status, (statuses.get(status) ?? 0) + count);
  return {
    requests: sumOf(states, (s) => s.http.requests),
    errors: sumOf(states, (s) => s.http.errors),
    hotPath: sumOf(states, (s) => s.http.hotPath),
    wsSlowConsumerCloses: sumOf(states, (s) => s.http.wsSlowConsumerCloses),
    latency: mergedLatency(states.map((s) => s.http.latency)),
    statuses: [...statuses].map(([status, count]) => ({ status, count })).sort((a, b) => a.status - b.status),
  };
}

export function mergeResolvers(states: readonly InstanceState[], orderBy: ResolverOrderName, top: number): ResolverRow[] {
  const byField = new Map<string, { count: number; errors: number; latencies: EncodedLatency[] }>();
  for (const s of states) {
    for (const row of s.resolvers) {
      const merged = byField.get(row.field) ?? { count: 0, errors: 0, latencies: [] };
      merged.count += row.count;
      merged.errors += row.errors;
      merged.latencies.push(row.latency);
      byField.set(row.field, merged);
    }
  }
  const rows = [...byField].map(([field, m]) => ({ field, count: m.count, errors: m.errors, latency: mergedLatency(m.latencies) }));
  const key = RESOLVER_ORDER_KEYS[orderBy];
  rows.sort((a, b) => key(b) - key(a) || a.field.localeCompare(b.field));
  return rows.slice(0, top);
}

export function mergeCache(states: readonly InstanceState[]): CacheSnapshot {
  const merged = mergeRecords(states.map((s) => s.cache as unknown as Record<string, unknown>)) as unknown as CacheSnapshot;
  const fields = new Map<string, FieldCacheRow>();
  for (const s of states) {
    for (const row of s.cache.fields) {
      const current = fields.get(row.field);
      fields.set(
        row.field,
        current ? (mergeRecords([current, row] as unknown as Record<string, unknown>[]) as unknown as FieldCacheRow) : { ...row },
      );
    }
  }
  merged.fields = [...fields.values()].map((row) => ({ ...row, hitRate: hitRateOf(row) })).sort((a, b) => a.field.localeCompare(b.field));
  merged.hitRate = hitRateOf(merged);
  return merged;
}

export function mergeDatabase(states: readonly InstanceState[]): DatabaseSnapshot {
  const merged = mergeRecords(states.map((s) => ({ ...s.database, latency: null }))) as unknown as DatabaseSnapshot;
  merged.latency = mergedLatency(states.map((s) => s.database.latency));
  const pool = merged.pool as DatabaseSnapshot['pool'] & { max?: number; utilizationPercent?: number };
  if (typeof pool.utilizationPercent === 'number') {
    pool.utilizationPercent = pool.max ? ((pool.total - pool.idle) / pool.max) * 100 : 0;
  }
  return merged;
}

export function mergeProcess(states: readonly InstanceState[]): ProcessSnapshot {
  const merged = mergeRecords(states.map((s) => s.process as unknown as Record<string, unknown>)) as unknown as ProcessSnapshot;
  merged.eventLoopLagP99Ms = Math.max(0, ...states.map((s) => s.process.eventLoopLagP99Ms));
  return merged;
}

const sumOf = <T>(items: readonly T[], pick: (item: T) => number) => items.reduce((total, item) => total + pick(item), 0);

/** Numbers every instance shares rather than adds up: the largest (newest) wins. */
const SHARED_NUMBERS = new Set(['slowQueryThresholdMs', 'generation']);
/** Booleans true for the cluster only when true on every instance (others: on any). */
const ALL_OF = new Set(['redisConnected']);
/** Date fields where the earliest counts (others: the latest). */
const EARLIEST = new Set(['outageSince']);
const DATE_KEY = /(At|Since)$/;

/**
 * Merges snapshots key by key, so counters a snapshot type gains later are summed without
 * a change here: numbers summed (shared settings: max), booleans any (or all, above),
 * dates latest (or earliest), nested objects recursively; arrays and strings are the
 * first record's (callers merge rows themselves).
 */
function mergeRecords(records: readonly Record<string, unknown>[]): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...records[0] };
  for (const key of Object.keys(merged)) {
    const values = records.map((r) => r[key]);
    const first = values[0];
    if (typeof first === 'number') {
      const numbers = values.filter((v): v is number => typeof v === 'number');
      merged[key] = SHARED_NUMBERS.has(key) ? Math.max(...numbers) : numbers.reduce((a, b) => a + b, 0);
    } else if (typeof first === 'boolean') {
      merged[key] = ALL_OF.has(key) ? values.every((v) => v === true) : values.some((v) => v === true);
    } else if (DATE_KEY.test(key) && (first === null || first instanceof Date || typeof first === 'string')) {
      const times = values.filter((v) => v !== null && v !== undefined).map((v) => new Date(v as string | Date).getTime());
      merged[key] = times.length === 0 ? null : new Date(EARLIEST.has(key) ? Math.min(...times) : Math.max(...times));
    } else if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
      merged[key] = mergeRecords(values.filter((v) => v !== null && typeof v === 'object') as Record<string, unknown>[]);
    }
  }
  return merged;
}
