/**
 * `npx tsx bench/capacity-probe.ts [--scale 1] [--json out.json]`: the per-request costs
 * behind docs/scaling.md. Starts redis-server on a free port, API instance A (embedded
 * Postgres seeded at --scale, REDIS_URL) and instance B (HOT_PATH=false, on A's Postgres
 * and the same Redis), then sends N requests of each type with a VIEWER key (rate
 * limited through Redis, as real dashboard clients are) and measures around each batch:
 * Redis commands by name (INFO commandstats) and bytes in/out (INFO stats), Postgres
 * statements (graphpulse_db_queries_total of /metrics) and rows read (pg_stat_database
 * tup_returned + tup_fetched), and CPU time of the answering API process, of every
 * Postgres process and of redis-server. Background work (BullMQ, metrics history) is
 * measured over an idle interval first and subtracted. Not a throughput benchmark: the
 * requests go 8 at a time; CPU time per request is the figure a capacity model needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { readConnectionFile } from '../src/db/embedded-connection-file.js';
import { freePort } from '../src/db/embedded-postgres.js';
import { createProgress } from '../src/progress.js';
import { MissCombos, MISS_FIELDS } from './miss-combos.js';
import { processesMentioning } from './procfs.js';
import { startServerProcess, stopAllServerProcesses, type ServerProcess } from './server-process.js';
import { BENCH_ADMIN_KEY, baseEnv } from './servers.js';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' }, json: { type: 'string' } } });
const SCALE = Number(values.scale);
const CONCURRENCY = 8;
const TICK_HZ = 100; // /proc clock ticks per second (USER_HZ on Linux)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const STORE_REVENUE = `query StoreRevenue($id: ID!, $range: DateRange!) {
  store(id: $id) { revenue(range: $range) { total orders points { period revenue } } }
}`;
const DASHBOARD = readFileSync(new URL('../test/operations/store-dashboard.graphql', import.meta.url), 'utf8');
const MISS_SELECTIONS: Record<string, string> = {
  revenue: 'revenue(range: $range) { total orders points { period revenue } }',
  topProducts: 'topProducts(range: $range) { unitsSold revenue margin }',
  trafficPatterns: 'trafficPatterns(range: $range) { dayOfWeek hour orders revenue visits }',
  customerInsights: 'customerInsights(range: $range) { activeCustomers newCustomers returningCustomers repeatRate averageLifetimeValue }',
};
const MISS_ALL = `query MissAll($id: ID!, $range: DateRange!) { store(id: $id) { ${MISS_FIELDS.map((f) => MISS_SELECTIONS[f]).join(' ')} } }`;
const INGEST = `mutation Ingest($events: [EventInput!]!) { ingestEvents(events: $events) { accepted duplicates } }`;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const DAY = 86_400_000;
const today = Date.parse(`${isoDay(Date.now())}T00:00:00Z`);
const last30 = { from: isoDay(today - 29 * DAY), to: isoDay(today) };

// ---------------------------------------------------------------- measurement

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]); // utime + stime
  } catch {
    return 0;
  }
}

/** The postmaster and every backend it forked (children only: that is all Postgres runs). */
function postgresPids(postmasterPid: number): number[] {
  const pids = [postmasterPid];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmasterPid) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

async function redisInfo(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const cli = spawn('redis-cli', ['-p', String(port), 'INFO', 'all']);
    let out = '';
    cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
    cli.once('error', reject);
    cli.once('exit', () => resolve(out));
  });
}

interface Snapshot {
  at: number;
  commands: Record<string, number>;
  netIn: number;
  netOut: number;
  redisCpu: number;
  apiCpu: Record<string, number>;
  pgCpu: number;
  pgStatements: number;
  pgRows: number;
  pgCommits: number;
}

interface Probe {
  redisPort: number;
  postmasterPid: number;
  /** The API instances; CPU is counted for the one a request type goes to, statements for both. */
  servers: Record<string, ServerProcess>;
}

async function dbStatements(url: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('graphpulse_db_queries_total')) sum += Number(line.split(' ').pop());
  return sum;
}

async function snapshot(probe: Probe, pgClient: pg.Client): Promise<Snapshot> {
  const info = await redisInfo(probe.redisPort);
  const commands: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands[m[1]] = Number(m[2]);
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  // Statement counts of both API instances: each request type talks to one of them.
  let pgStatements = 0;
  for (const server of Object.values(probe.servers)) pgStatements += await dbStatements(server.url.replace(/\/graphql$/, '/metrics'));
  const { rows } = await pgClient.query<{ rows: string; commits: string }>(
    `SELECT (tup_returned + tup_fetched)::text AS rows, xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()`,
  );
  return {
    at: performance.now(),
    commands,
    netIn: field('total_net_input_bytes'),
    netOut: field('total_net_output_bytes'),
    redisCpu: field('used_cpu_user') + field('used_cpu_sys'),
    apiCpu: Object.fromEntries(Object.entries(probe.servers).map(([name, s]) => [name, cpuTicks(s.pid) / TICK_HZ])),
    pgCpu: postgresPids(probe.postmasterPid).reduce((sum, pid) => sum + cpuTicks(pid), 0) / TICK_HZ,
    pgStatements,
    pgRows: Number(rows[0].rows),
    pgCommits: Number(rows[0].commits),
  };
}

interface Costs {
  seconds: number;
  commands: Record<string, number>;
  netIn: number;
  netOut: number;
  redisCpu: number;
  apiCpu: number;
  pgCpu: number;
  pgStatements: number;
  pgRows: number;
  pgCommits: number;
}

function delta(a: Snapshot, b: Snapshot, server: string): Costs {
  const commands: Record<string, number> = {};
  for (const [name, calls] of Object.entries(b.commands)) {
    const d = calls - (a.commands[name] ?? 0);
    if (d) commands[name] = d;
  }
  return {
    seconds: (b.at - a.at) / 1000,
    commands,
    netIn: b.netIn - a.netIn,
    netOut: b.netOut - a.netOut,
    redisCpu: b.redisCpu - a.redisCpu,
    apiCpu: b.apiCpu[server] - a.apiCpu[server],
    pgCpu: b.pgCpu - a.pgCpu,
    pgStatements: b.pgStatements - a.pgStatements,
    pgRows: b.pgRows - a.pgRows,
    pgCommits: b.pgCommits - a.pgCommits,
  };
}

// ---------------------------------------------------------------- requests

async function post(server: ServerProcess, key: string, body: unknown): Promise<string> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok || text.includes('"errors":')) throw new Error(`HTTP ${response.status}: ${text.slice(0, 400)}`);
  return text;
}

/** `n` requests, CONCURRENCY at a time; returns the response bytes. */
async function send(server: ServerProcess, key: string, n: number, body: (i: number) => unknown, label: string): Promise<number> {
  const progress = createProgress({ label: `probe: ${label}`, total: n, unit: 'requests' });
  let next = 0;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        bytes += (await post(server, key, body(i))).length;
        progress.tick(1);
      }
    }),
  );
  progress.done(`${n} requests sent`);
  return bytes;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'graphpulse-probe-'));
  const redisPort = await freePort();
  const redis: ChildProcess = spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const results: Record<string, { n: number; responseBytes: number; costs: Costs }> = {};
  try {
    await sleep(500);
    const common = {
      ...baseEnv(),
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_API_KEY: BENCH_ADMIN_KEY,
      LOG_LEVEL: 'warn',
      WORKERS: 'none',
      NODE_ENV: 'production',
      EMBEDDED_PG_FAST: 'true',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      METRICS_PUBLIC: 'true',
      RATE_LIMITS: 'VIEWER=1000000,INGEST=1000000',
    };
    const nodeArgs = ['--max-semi-space-size=16', '--max-old-space-size=200', 'tools/run-compiled.mjs', 'src/main.ts'];
    console.log(`probe: starting A (scale ${SCALE}, seeded at start: minutes at scale 1)…`);
    const a = await startServerProcess({
      name: 'A',
      nodeArgs,
      env: { ...common, DATA_DIR: dir, SEED: 'demo', DEMO_SCALE: String(SCALE) },
      urlPattern: /GraphQL at (http:\/\/\S+\/graphql)/,
      startTimeoutMs: 900_000,
    });
    const connection = readConnectionFile(dir);
    if (!connection) throw new Error(`no connection file in ${dir}`);
    const b = await startServerProcess({
      name: 'B',
      nodeArgs,
      env: { ...common, DATABASE_URL: connection.url, SEED: 'none', HOT_PATH: 'false', DATA_DIR: join(dir, 'b') },
      urlPattern: /GraphQL at (http:\/\/\S+\/graphql)/,
      startTimeoutMs: 120_000,
    });
    const client = new pg.Client({ connectionString: connection.url });
    await client.connect();
    // The postmaster is the process whose command line names the data directory (`postgres -D <dir>/pg`).
    const postmaster = processesMentioning(join(dir, 'pg')).find((p) => /\bpostgres -D\b/.test(p.cmdline));
    if (!postmaster) throw new Error(`no postmaster found for ${join(dir, 'pg')}`);
    const probe: Probe = { redisPort, postmasterPid: postmaster.pid, servers: { A: a, B: b } };
    const created = JSON.parse(
      await post(a, BENCH_ADMIN_KEY, { query: `mutation { createApiKey(name: "probe viewer", role: VIEWER) { key } }` }),
    ) as { data: { createApiKey: { key: string } } };
    const viewer = created.data.createApiKey.key;
    const ingestKey = (
      JSON.parse(await post(a, BENCH_ADMIN_KEY, { query: `mutation { createApiKey(name: "probe ingest", role: INGEST) { key } }` })) as {
        data: { createApiKey: { key: string } };
      }
    ).data.createApiKey.key;
    const storesBody = JSON.parse(await post(a, viewer, { query: '{ stores(first: 100) { edges { node { id } } } }' })) as {
      data: { stores: { edges: Array<{ node: { id: string } }> } };
    };
    const storeIds = storesBody.data.stores.edges.map((e) => e.node.id);
    console.log(`probe: A ${a.url}, B ${b.url}, Redis :${redisPort}, ${storeIds.length} stores`);

    // Background: what the idle processes do to Redis and Postgres on their own.
    await sleep(2_000);
    let before = await snapshot(probe, client);
    await sleep(20_000);
    let after = await snapshot(probe, client);
    const idle = delta(before, after, 'A');
    const perSecond = (c: Costs) => ({
      commands: Object.fromEntries(Object.entries(c.commands).map(([k, v]) => [k, v / c.seconds])),
      netIn: c.netIn / c.seconds,
      netOut: c.netOut / c.seconds,
      pgStatements: c.pgStatements / c.seconds,
      pgRows: c.pgRows / c.seconds,
    });
    const idleRate = perSecond(idle);
    console.log(`probe: idle background per second: ${JSON.stringify(idleRate)}`);

    const measure = async (name: string, server: 'A' | 'B', n: number, body: (i: number) => unknown, key = viewer) => {
      before = await snapshot(probe, client);
      const responseBytes = await send(probe.servers[server], key, n, body, name);
      // Postgres flushes a backend's statistics when it goes idle (at most every ~1 s; idle sessions up to 10 s).
      await sleep(11_000);
      after = await snapshot(probe, client);
      const costs = delta(before, after, server);
      // Subtract the idle background over the interval.
      for (const [k, v] of Object.entries(idleRate.commands)) if (costs.commands[k]) costs.commands[k] -= v * costs.seconds;
      costs.netIn -= idleRate.netIn * costs.seconds;
      costs.netOut -= idleRate.netOut * costs.seconds;
      costs.pgStatements -= idleRate.pgStatements * costs.seconds;
      costs.pgRows -= idleRate.pgRows * costs.seconds;
      results[name] = { n, responseBytes, costs };
      const per = (v: number) => (v / n).toFixed(2);
      console.log(
        `probe: ${name} (${server}, n=${n}): per request: Redis ${Object.entries(costs.commands)
          .filter(([, v]) => v / n >= 0.05)
          .map(([k, v]) => `${k} ${per(v)}`)
          .join(', ')}; Redis bytes in ${per(costs.netIn)} out ${per(costs.netOut)}; ` +
          `PG statements ${per(costs.pgStatements)}, rows read ${per(costs.pgRows)}; ` +
          `CPU ms: API ${((costs.apiCpu / n) * 1000).toFixed(3)}, Postgres ${((costs.pgCpu / n) * 1000).toFixed(3)}, Redis ${((costs.redisCpu / n) * 1000).toFixed(3)}; response ${Math.round(responseBytes / n)} B`,
      );
    };

    const revenue = (id: string, range: { from: string; to: string }) => ({
      query: STORE_REVENUE,
      operationName: 'StoreRevenue',
      variables: { id, range },
    });
    // 1. Hot hit: one operation stored whole in A's L1 (warm it first).
    await send(a, viewer, 20, () => revenue('1', last30), 'warm');
    await measure('hot-hit store.revenue', 'A', 3000, () => revenue('1', last30));
    const dashboard = { query: DASHBOARD, operationName: 'StoreDashboard', variables: { first: 20, range: last30 } };
    await send(a, viewer, 20, () => dashboard, 'warm');
    await measure('hot-hit dashboard', 'A', 1500, () => dashboard);
    // 2. Per-field L1 hits on B (hot path off).
    await send(b, viewer, 20, () => revenue('1', last30), 'warm');
    await measure('field-hit store.revenue (L1)', 'B', 2000, () => revenue('1', last30));
    // 3. Misses on A: 400 store x range keys never asked (also warming Redis for step 4).
    const ranges = Array.from({ length: 20 }, (_, k) => ({ from: isoDay(today - (40 + k) * DAY), to: isoDay(today - (10 + k) * DAY) }));
    const keys = storeIds.flatMap((id) => ranges.map((range) => ({ id, range })));
    await measure('miss store.revenue', 'A', Math.min(400, keys.length), (i) => revenue(keys[i].id, keys[i].range));
    // 4. L2 hits: the same keys on B, whose L1 never saw them (another instance of a fleet).
    await measure('field-hit store.revenue (L2, another instance)', 'B', Math.min(400, keys.length), (i) =>
      revenue(keys[i].id, keys[i].range),
    );
    // 5. The bench's miss: four analytic fields of an unseen store x range.
    const combos = new MissCombos(storeIds, isoDay(today), 180);
    await measure('miss 4 fields', 'A', 200, () => {
      const { storeId, range } = combos.next(MISS_FIELDS);
      return { query: MISS_ALL, operationName: 'MissAll', variables: { id: storeId, range } };
    });
    // 6. Ingestion.
    let serial = 0;
    const events = (count: number) => ({
      query: INGEST,
      operationName: 'Ingest',
      variables: {
        events: Array.from({ length: count }, () => {
          serial += 1;
          return {
            id: `probe-${process.pid}-${serial}`,
            storeId: storeIds[serial % storeIds.length],
            type: ['VISIT', 'PAGE_VIEW', 'ADD_TO_CART', 'CHECKOUT'][serial % 4],
            occurredAt: new Date(Date.now() - (serial % 3600) * 1000).toISOString(),
            sessionId: `s-${serial % 5000}`,
          };
        }),
      },
    });
    await measure('ingest 1 event', 'A', 1000, () => events(1), ingestKey);
    await measure('ingest 1,000 events', 'A', 30, () => events(1000), ingestKey);

    if (values.json) writeFileSync(values.json, `${JSON.stringify({ scale: SCALE, idle: idleRate, results }, null, 2)}\n`);
    await client.end();
  } finally {
    await stopAllServerProcesses();
    redis.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`probe: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
