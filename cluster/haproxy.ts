import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Debian's `haproxy` in front of API processes, with a generated configuration:
 * round-robin, `option httpchk GET /readyz` every HEALTH.interMs (a server is out after
 * `fall` failed checks and back after `rise` good ones), WebSocket-friendly timeouts
 * (`timeout tunnel`: an upgraded connection lives as long as its subscriptions), and a
 * connection refused by a server retried on another one (`option redispatch`). A request
 * already sent is never retried (HAProxy does not replay a POST): that is why an API
 * process answers /readyz 503 for SHUTDOWN_DELAY_MS before its listener closes.
 *
 * Every answer, HAProxy's own 502/503 included, says which server it went to in
 * `X-Backend-Server` (the server's name here: api1, api2…); the stats socket reports
 * each server's health state (`show stat`).
 */

export const HAPROXY_HINT = 'install it with: apt-get install -y --no-install-recommends haproxy';

export function haproxyInstalled(): boolean {
  return spawnSync('haproxy', ['-v']).status === 0;
}

/** Health checks: every 500 ms; 2 failures take a server out (≤ ~1 s + one check), 2 successes bring it back. */
export const HEALTH = { interMs: 500, fall: 2, rise: 2 } as const;

export interface BackendServer {
  /** HAProxy's name for it (api1…): the X-Backend-Server value and the stats row. */
  name: string;
  host: string;
  port: number;
}

export interface HaproxyConfigOptions {
  port: number;
  host?: string;
  servers: readonly BackendServer[];
  statsSocket: string;
}

export function haproxyConfig({ port, host = '127.0.0.1', servers, statsSocket }: HaproxyConfigOptions): string {
  return [
    'global',
    `  stats socket ${statsSocket} mode 600 level admin`,
    '  maxconn 4096',
    // One line per request on stdout (kept by output()): its termination flags tell who ended a failed one.
    '  log stdout format raw local0',
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  timeout connect 2s',
    // A check may take this long (default: inter, 500 ms, which a loaded machine's /readyz overruns and flaps on).
    '  timeout check 2s',
    // Above the API's own request bounds (HTTP_REQUEST_TIMEOUT_MS 30 s): the API answers first.
    '  timeout client 35s',
    '  timeout server 35s',
    // Client keep-alive: idle client connections are closed by the client first (load tools use 4 s).
    '  timeout http-keep-alive 10s',
    '  timeout http-request 10s',
    // WebSocket: once upgraded the connection is a tunnel, idle up to an hour (graphql-ws pings keep it alive).
    '  timeout tunnel 1h',
    '  timeout client-fin 5s',
    '  timeout server-fin 5s',
    // One server connection per request: a stopping API is never sent a request on a kept-alive socket it is closing.
    '  option http-server-close',
    // A refused connection (the server just died, not yet marked down) goes to another server; a sent request is never replayed.
    '  retries 2',
    '  option redispatch 1',
    '',
    'frontend graphpulse',
    `  bind ${host}:${port}`,
    '  default_backend api',
    '',
    'backend api',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    `  default-server inter ${HEALTH.interMs}ms fall ${HEALTH.fall} rise ${HEALTH.rise}`,
    // Every answer names the server it went to, HAProxy's own 502/503 included.
    '  http-after-response set-header X-Backend-Server %s',
    ...servers.map((server) => `  server ${server.name} ${server.host}:${server.port} check`),
    '',
  ].join('\n');
}

/** One server's row of `show stat`. */
export interface ServerStat {
  name: string;
  /** UP, DOWN, `UP 1/2` (going down), `DOWN 1/2` (coming up), MAINT, no check… */
  status: string;
  /** Requests sent to it. */
  total: number;
  /** Seconds since its last state change. */
  lastChangeS: number;
}

export interface Haproxy {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly config: string;
  /** Output HAProxy wrote (warnings, its alerts about servers going down). */
  output(): string;
  /** The backend's servers and their health state, read from the stats socket. */
  servers(): Promise<ServerStat[]>;
  /** Resolves once `name` has `status` (exactly, e.g. 'UP' or 'DOWN'), polling every 50 ms; rejects after timeoutMs. */
  waitForStatus(name: string, status: string, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Runs one command on the stats socket and returns its answer. */
function statsCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error(`stats socket: no answer to ${command} within 2 s`)));
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseStat(csv: string, backend: string): ServerStat[] {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string) => columns.indexOf(name);
  return rows
    .map((row) => row.split(','))
    .filter((cells) => cells[at('pxname')] === backend && !['FRONTEND', 'BACKEND'].includes(cells[at('svname')]))
    .map((cells) => ({
      name: cells[at('svname')],
      status: cells[at('status')],
      total: Number(cells[at('stot')]),
      lastChangeS: Number(cells[at('lastchg')]),
    }));
}

/** Starts haproxy in the foreground (`-db`) with a generated config; resolves once it listens and every server is UP. */
export async function startHaproxy(options: Omit<HaproxyConfigOptions, 'statsSocket'>, timeoutMs = 30_000): Promise<Haproxy> {
  if (!haproxyInstalled()) throw new Error(`haproxy is not installed: ${HAPROXY_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'graphpulse-haproxy-'));
  const statsSocket = join(dir, 'admin.sock');
  const config = haproxyConfig({ ...options, statsSocket });
  const configPath = join(dir, 'haproxy.cfg');
  writeFileSync(configPath, config);
  const check = spawnSync('haproxy', ['-c', '-f', configPath], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`haproxy rejected its generated config: ${check.stdout}${check.stderr}`);
  }
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The last ~2 MB of its output (a log line per request): chunks, the oldest dropped.
  const chunks: string[] = [];
  let outputLength = 0;
  const onOutput = (chunk: Buffer) => {
    chunks.push(chunk.toString());
    outputLength += chunk.length;
    while (outputLength > 2_000_000 && chunks.length > 1) outputLength -= chunks.shift()!.length;
  };
  const output = () => chunks.join('');
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  // A harness that dies must not leave HAProxy listening.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);

  const servers = async () => parseStat(await statsCommand(statsSocket, 'show stat'), 'api');
  const stop = async () => {
    if (running) {
      child.kill('SIGUSR1'); // soft stop: finish what is in flight
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
  };
  const waitForStatus = async (name: string, status: string, waitMs: number) => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      let last: string;
      if (!running) throw new Error(`haproxy exited: ${output().slice(-2000)}`);
      try {
        last = (await servers()).find((s) => s.name === name)?.status ?? 'absent';
        if (last === status) return;
      } catch (error) {
        last = `stats socket: ${(error as Error).message}`;
      }
      if (Date.now() > deadline) throw new Error(`haproxy server ${name} is not ${status} after ${waitMs} ms (last: ${last})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const handle: Haproxy = {
    url: `http://${options.host ?? '127.0.0.1'}:${options.port}/graphql`,
    port: options.port,
    pid: child.pid!,
    config,
    output,
    servers,
    waitForStatus,
    stop,
  };
  try {
    const deadline = Date.now() + timeoutMs;
    for (const server of options.servers) await waitForStatus(server.name, 'UP', Math.max(1, deadline - Date.now()));
  } catch (error) {
    await stop();
    throw error;
  }
  return handle;
}
