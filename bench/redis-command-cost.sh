#!/bin/bash
# Server-side CPU time per Redis command on the request path (docs/scaling.md 1.2):
# starts an idle redis-server on a free port, runs redis-benchmark (50 clients, no
# pipelining, 200,000 calls) for each command and divides the server's
# used_cpu_user + used_cpu_sys delta by the calls. The EVAL is the rate limiter's
# token bucket (src/security/rate-limiter.ts, sent as text as the limiter does).
# Usage: bash bench/redis-command-cost.sh
set -euo pipefail
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --save '' --appendonly no >/dev/null 2>&1 &
REDIS_PID=$!
trap 'kill $REDIS_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.1; done

SCRIPT="local rate = tonumber(ARGV[1]) local now = tonumber(ARGV[2]) local state = redis.call('HMGET', KEYS[1], 'tokens', 'at') local tokens = tonumber(state[1]) or rate local at = tonumber(state[2]) or now tokens = math.min(rate, tokens + (now - at) * rate / 1000) local allowed = 0 if tokens >= 1 then tokens = tokens - 1; allowed = 1 end redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now) redis.call('PEXPIRE', KEYS[1], 2000) local wait = 0 if allowed == 0 then wait = math.ceil((1 - tokens) * 1000 / rate) end return {allowed, wait}"
N=200000
cpu() { redis-cli -p "$PORT" INFO cpu | awk -F: '/used_cpu_(sys|user):/ { s += $2 } END { printf "%.4f", s }'; }
run() {
  local name=$1
  shift
  local before after rate
  before=$(cpu)
  rate=$(redis-benchmark -p "$PORT" -c 50 -n "$N" -r 100000 -q "$@" 2>&1 | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1)
  after=$(cpu)
  echo "$name: $rate (client on the same machine); server CPU $(python3 -c "print(round(($after - $before) / $N * 1e6, 2))") us per call"
}
redis-cli -p "$PORT" SET cachekey "$(head -c 4300 /dev/zero | tr '\0' 'x')" >/dev/null
run "EVAL rate-limit token bucket" EVAL "$SCRIPT" 1 'rl:__rand_int__' 1000000 1796035000000
SHA=$(redis-cli -p "$PORT" SCRIPT LOAD "$SCRIPT")
run "EVALSHA of the same script" EVALSHA "$SHA" 1 'rl:__rand_int__' 1000000 1796035000000
run "GET of a 4.3 KB value" GET cachekey
run "SET of 200 B" SET 'k:__rand_int__' "$(head -c 200 /dev/zero | tr '\0' 'x')"
run "PING" PING
