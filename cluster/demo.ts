import { createProgress } from '../src/progress.js';
import { DEBIAN_POSTGRES_HINT, debianPostgresInstalled } from '../faults/debian-postgres.js';
import { redisServerInstalled } from '../test/helpers/redis-server.js';
import { HAPROXY_HINT, HEALTH, haproxyInstalled } from './haproxy.js';
import { CLUSTER_ADMIN_KEY, ClusterStack, SHUTDOWN_DELAY_MS } from './processes.js';

/**
 * `npm run cluster:demo -- [--apis N] [--workers N] [--port N]`: Postgres 15, one Redis,
 * N API processes (WORKERS=none) and M `npm run worker` processes behind HAProxy on
 * loopback. Prints the URL and the admin key, then reports every health change HAProxy
 * sees (kill an API with `kill -TERM <pid>` or `kill -KILL <pid>` and watch). Ctrl-C stops
 * everything. Exit codes: 0 after Ctrl-C, 1 when the start failed, 2 for a bad flag.
 */

interface DemoOptions {
  apis: number;
  workers: number;
  port: number;
}

const USAGE = 'usage: npm run cluster:demo -- [--apis 1..8] [--workers 0..4] [--port 0..65535 (0: a free port)]';

class UsageError extends Error {}

export function parseDemoOptions(args: readonly string[]): DemoOptions {
  const options: DemoOptions = { apis: 3, workers: 2, port: 8080 };
  const bounds: Record<string, [keyof DemoOptions, number, number]> = {
    '--apis': ['apis', 1, 8],
    '--workers': ['workers', 0, 4],
    '--port': ['port', 0, 65_535],
  };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    const [flag, inline] = arg.split('=', 2);
    const bound = bounds[flag];
    if (!bound) throw new UsageError(`unknown flag ${arg}; ${USAGE}`);
    const raw = inline ?? args[(i += 1)];
    const value = Number(raw);
    const [key, min, max] = bound;
    if (raw === undefined || raw === '' || !Number.isInteger(value) || value < min || value > max)
      throw new UsageError(`${flag} expects an integer from ${min} to ${max}, got ${raw ?? 'nothing'}`);
    options[key] = value;
  }
  return options;
}

async function main(): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseDemoOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`cluster:demo: ${error.message}`);
    return 2;
  }
  const missing = [
    !haproxyInstalled() && `haproxy (${HAPROXY_HINT})`,
    !debianPostgresInstalled() && `Debian's Postgres 15 (${DEBIAN_POSTGRES_HINT})`,
    !redisServerInstalled() && 'redis-server (apt-get install -y redis-server)',
  ].filter(Boolean);
  if (missing.length) {
    console.error(`cluster:demo: missing ${missing.join(', ')}`);
    return 1;
  }

  // One progress phase per process started (a bar on a TTY, plain lines elsewhere).
  const progress = createProgress({ label: 'cluster' });
  let stack: ClusterStack | null = null;
  let stopping = false;
  // Ctrl-C: main() sees `stopping` (while starting: once the step under way has ended), closes everything and returns 0.
  const stop = () => {
    if (stopping) return;
    stopping = true;
    progress.abort();
    console.log(`\ncluster: stopping${stack ? '' : ' once the current step has ended'}: HAProxy, APIs, workers, Redis and Postgres…`);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    stack = await ClusterStack.start({
      ...options,
      onStep: (step) => progress.phase(step),
      onInfo: (line) => progress.tick(0, line),
    });
  } catch (error) {
    progress.abort();
    console.error(`cluster:demo: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  if (stopping) {
    await stack.close();
    return 0;
  }
  progress.done(`${options.apis} APIs, ${options.workers} workers and HAProxy are up`);
  const haproxy = stack.haproxy!;

  console.log(`
GraphQL (through HAProxy): ${haproxy.url}
Admin API key:             ${CLUSTER_ADMIN_KEY}   (Authorization: Bearer <key>)
Dashboard:                 ${haproxy.url.replace(/\/graphql$/, '/dashboard')}
HAProxy:                   pid ${haproxy.pid}, roundrobin, GET /readyz every ${HEALTH.interMs} ms, fall ${HEALTH.fall}, rise ${HEALTH.rise}
APIs (SHUTDOWN_DELAY_MS=${SHUTDOWN_DELAY_MS}):
${stack.apis.map((api) => `  ${api.name}  pid ${api.entry.pid}  ${api.url}`).join('\n')}
Workers:
${stack.workers.map((worker, i) => `  worker${i + 1}  pid ${worker.pid}`).join('\n') || '  none'}

Every answer says which process served it (X-Instance-Id) and which HAProxy server (X-Backend-Server):
  curl -si ${haproxy.url} -H 'authorization: Bearer ${CLUSTER_ADMIN_KEY}' -H 'content-type: application/json' \\
    -d '{"query":"{ metrics { instances { id } } }"}'
Try kill -TERM or kill -KILL on an API pid and watch HAProxy take it out. Ctrl-C stops everything.
`);

  // Health changes as HAProxy sees them.
  const last = new Map<string, string>();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (stopping) {
      await stack.close();
      return 0;
    }
    const servers = await haproxy.servers().catch(() => []);
    for (const server of servers) {
      if (last.has(server.name) && last.get(server.name) !== server.status)
        console.log(`${new Date().toISOString()} haproxy: ${server.name} ${last.get(server.name)} → ${server.status}`);
      last.set(server.name, server.status);
    }
  }
}

const code = await main();
process.exit(code);
