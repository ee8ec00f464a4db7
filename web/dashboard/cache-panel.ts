import type { ApiClient } from './api-client.js';
import { el, table } from './dom.js';
import { formatBytes, formatCount, formatRatio } from './format.js';
import { Panel } from './panel.js';
import { CACHE, REDIS, viewVariables, type CacheData, type CacheField, type RedisData, type View } from './queries.js';

const TOP_FIELDS = 10;
const readsOf = (field: CacheField) => field.hits + field.staleHits + field.misses;

/** A bar as wide as the ratio, for the hit rate of each field. */
function ratioBar(ratio: number): HTMLElement {
  const fill = el('span', { className: 'bar-fill' });
  fill.style.width = `${Math.round(Math.max(0, Math.min(1, ratio)) * 100)}%`;
  return el('span', { className: 'bar' }, fill, el('span', { className: 'bar-label' }, formatRatio(ratio)));
}

function stat(label: string, value: string, className = ''): HTMLElement {
  return el(
    'div',
    { className: `stat ${className}` },
    el('span', { className: 'stat-label' }, label),
    el('span', { className: 'stat-value' }, value),
  );
}

/** The @cached fields: overall hit rate, L1 size, and the ten most read fields with their hit rates, in the selected scope. */
export class CachePanel {
  readonly panel = new Panel('cache', 'Cache', { span: 2 });
  /** Field coordinates seen, offered by the "invalidate a field" action. */
  fields: string[] = [];

  constructor(private readonly api: ApiClient) {}

  async refresh(view: View): Promise<void> {
    try {
      const { cache } = (await this.api.request<CacheData>(CACHE, viewVariables(view))).metrics;
      this.panel.setNote(view.scope === 'CLUSTER' ? 'all live instances' : `instance ${view.label}`);
      const top = [...cache.fields].sort((a, b) => readsOf(b) - readsOf(a)).slice(0, TOP_FIELDS);
      this.fields = cache.fields.map((f) => f.field).sort();
      this.panel.show(
        el(
          'div',
          { className: 'stats' },
          stat('hit rate', formatRatio(cache.hitRate)),
          stat('reads', formatCount(cache.hits + cache.staleHits + cache.misses)),
          stat('L1', `${formatBytes(cache.l1Bytes)} · ${formatCount(cache.l1Entries)} entries`),
          stat(
            'mode',
            cache.degraded ? 'L1 only (degraded)' : cache.redisConnected ? 'L1 + Redis' : 'L1 only',
            cache.degraded ? 'bad' : '',
          ),
        ),
        top.length
          ? table(
              ['field', 'reads', 'hit rate'],
              top.map((f) => [el('code', {}, f.field), formatCount(readsOf(f)), ratioBar(f.hitRate)]),
            )
          : el('p', { className: 'muted' }, 'No cached field read yet.'),
      );
    } catch (error) {
      this.panel.unavailable(error);
    }
  }
}

/** Redis as the cache sees it (breaker, connection, generation) and its own INFO figures. */
export class RedisPanel {
  readonly panel = new Panel('redis', 'Redis');

  constructor(private readonly api: ApiClient) {}

  async refresh(): Promise<void> {
    try {
      const { cache } = (await this.api.request<RedisData>(REDIS)).metrics;
      const { redis } = cache;
      this.panel.setNote(`cache generation ${cache.generation}`);
      this.panel.show(
        el(
          'div',
          { className: 'stats' },
          stat('connection', cache.redisConnected ? 'connected' : 'not connected', cache.redisConnected ? 'good' : ''),
          stat('breaker', cache.breakerOpen ? 'open' : 'closed', cache.breakerOpen ? 'bad' : 'good'),
        ),
        redis
          ? table(
              ['', ''],
              [
                ['version', redis.version],
                [
                  'memory',
                  `${formatBytes(redis.usedMemoryBytes)}${redis.maxMemoryBytes ? ` of ${formatBytes(redis.maxMemoryBytes)}` : ' (no limit)'}`,
                ],
                ['keys', formatCount(redis.keys)],
                ['clients', formatCount(redis.connectedClients)],
                ['evicted keys', formatCount(redis.evictedKeys)],
                ['keyspace hit ratio', formatRatio(redis.hitRatio)],
              ],
              'data kv',
            )
          : el('p', { className: 'muted' }, 'No Redis statistics: REDIS_URL is not set or INFO failed.'),
      );
    } catch (error) {
      this.panel.unavailable(error);
    }
  }
}
