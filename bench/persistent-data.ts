import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { processesMentioning } from './procfs.js';
import { runToExit } from './server-process.js';
import { baseEnv, releaseKeptDir, watchKeptDir } from './servers.js';

/**
 * The miss scenarios' data set: seeded once (`npm run seed` into a persistent DATA_DIR,
 * minutes at scale 1), described by a marker file beside the database, reused by every
 * later run and never deleted by the bench (`--reseed` deletes and seeds it again).
 */

/** The marker: written as `seeding` before the seed starts, `ready` once it committed. */
const MARKER = 'bench-data.json';

export interface PersistentData {
  dir: string;
  scale: number;
  seed: number;
  /** First and last day of the data (UTC, YYYY-MM-DD): ranges must stay inside. */
  from: string;
  to: string;
  /** When the seed finished (ISO). */
  seededAt: string;
  /** Rows per table, as the seed printed them. */
  counts: Record<string, number>;
  /** Wall time of the seed, initdb and migrations included. */
  seedSeconds: number;
}

type Marker = ({ state: 'ready' } & Omit<PersistentData, 'dir'>) | { state: 'seeding'; scale: number; startedAt: string };

const PROGRESS_EVERY_MS = 5_000;

/** `dir` relative to the working directory when inside it (bench/.data/scale-1), else absolute. */
export function shortPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : dir;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readMarker(dir: string): Marker | null {
  const path = join(dir, MARKER);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Marker;
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${String(error)}): delete ${dir} or pass --reseed`, { cause: error });
  }
}

/** Refuses a directory the bench did not create: the bench deletes and truncates only its own. */
function checkOwned(dir: string, marker: Marker | null): void {
  if (marker || !existsSync(dir) || readdirSync(dir).length === 0) return;
  throw new Error(`${dir} is not empty and has no ${MARKER}: not a bench data directory, left untouched. Pass a new or empty --data-dir.`);
}

function checkIdle(dir: string): void {
  const users = processesMentioning(join(dir, 'pg'));
  if (users.length)
    throw new Error(`a Postgres already runs on ${dir} (pids ${users.map((p) => p.pid).join(', ')}): another bench or server uses it`);
}

/** What a seed log line (pino JSON) says, for the progress line; null when nothing worth showing. */
function progressOf(line: string): string | null {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  const n = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-US') : '?');
  switch (entry.msg) {
    case 'initialising embedded Postgres':
      return 'initdb';
    case 'seeding database':
      return `generating rows for ${String(entry.from)} .. ${String(entry.to)}`;
    case 'seed progress':
      return `rows up to ${String(entry.day)}: ${n(entry.orders)} orders, ${n(entry.orderItems)} order items, ${n(entry.events)} events`;
    case 'seed rows written; analyzing and refreshing aggregates': {
      const counts = (entry.counts ?? {}) as Record<string, number>;
      return `rows written (${n(counts.orders)} orders, ${n(counts.order_items)} order items); ANALYZE and materialized views`;
    }
    case 'seed done':
      return 'committed';
    default:
      return null;
  }
}

/** Parses the seed's closing summary: "seeded scale 1 (seed 42), FROM .. TO", then "  table  count" lines. */
function summaryOf(output: string): { seed: number; from: string; to: string; counts: Record<string, number> } {
  const head = /seeded scale [\d.]+ \(seed (\d+)\), (\d{4}-\d{2}-\d{2}) \.\. (\d{4}-\d{2}-\d{2})/.exec(output);
  if (!head) throw new Error(`the seed's summary line is missing from its output:\n${output}`);
  const counts: Record<string, number> = {};
  for (const match of output.matchAll(/^ {2}([a-z_]+)\s+([\d,]+)$/gm)) counts[match[1]] = Number(match[2].replaceAll(',', ''));
  return { seed: Number(head[1]), from: head[2], to: head[3], counts };
}

/**
 * The data set of `dir` at `scale`, seeding it first when it is not there yet (or with
 * `reseed`). Seeding prints a line every few seconds. Throws on a directory the bench
 * did not create, one in use, or one seeded at another scale.
 */
export async function ensurePersistentData(dir: string, scale: number, reseed: boolean): Promise<PersistentData> {
  const shown = shortPath(dir);
  let marker = readMarker(dir);
  checkOwned(dir, marker);
  checkIdle(dir);
  if (marker?.state === 'ready' && !reseed) {
    if (marker.scale !== scale)
      throw new Error(`${shown} holds scale ${marker.scale}, not ${scale}: pass --reseed (or another --data-dir)`);
    return { dir, ...marker };
  }
  if (reseed && existsSync(dir)) {
    console.log(`bench: --reseed: deleting ${shown}`);
    rmSync(dir, { recursive: true, force: true });
    marker = null;
  }
  if (marker?.state === 'seeding')
    console.log(`bench: ${shown}: an earlier seed did not finish (started ${marker.startedAt}); seeding again`);

  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, MARKER),
    `${JSON.stringify({ state: 'seeding', scale, startedAt: new Date().toISOString() } satisfies Marker)}\n`,
  );
  console.log(`bench: seeding scale ${scale} into ${shown} once (reused by later runs; takes minutes at scale 1)…`);
  const started = Date.now();
  let status = 'starting Postgres';
  const ticker = setInterval(
    () => console.log(`bench:   seeding scale ${scale}: ${Math.round((Date.now() - started) / 1000)} s — ${status}`),
    PROGRESS_EVERY_MS,
  );
  watchKeptDir(dir);
  let result;
  try {
    result = await runToExit({
      name: `seed (scale ${scale})`,
      // --reset: an interrupted seed left a migrated, empty (rolled back) database; a reset also clears anything else.
      nodeArgs: ['--import', 'tsx', 'db/seed/cli.ts', '--scale', String(scale), '--reset'],
      env: { ...baseEnv(), DATA_DIR: dir, EMBEDDED_PG_FAST: 'true', LOG_LEVEL: 'debug', NODE_ENV: 'production' },
      onLine: (line) => {
        status = progressOf(line) ?? status;
      },
    });
  } finally {
    clearInterval(ticker);
  }
  // The seed stops its own Postgres; make sure, before a server starts on the directory.
  for (let i = 0; i < 50 && processesMentioning(join(dir, 'pg')).length; i += 1) await sleep(100);
  await releaseKeptDir(dir);
  if (result.code !== 0) {
    throw new Error(
      `seeding ${shown} failed (exit ${result.code ?? result.signal}); it will be seeded again next run.\n--- last output of the seed ---\n${result.output}`,
    );
  }
  const seedSeconds = Math.round((Date.now() - started) / 100) / 10;
  const ready: Marker = { state: 'ready', scale, ...summaryOf(result.output), seededAt: new Date().toISOString(), seedSeconds };
  writeFileSync(join(dir, MARKER), `${JSON.stringify(ready, null, 2)}\n`);
  const c = ready.counts;
  console.log(
    `bench: seeded scale ${scale} in ${seedSeconds} s: ${ready.from} .. ${ready.to}, ${c.stores ?? '?'} stores, ` +
      `${(c.orders ?? 0).toLocaleString('en-US')} orders, ${(c.order_items ?? 0).toLocaleString('en-US')} order items, ${(c.events ?? 0).toLocaleString('en-US')} events`,
  );
  return { dir, ...ready };
}
