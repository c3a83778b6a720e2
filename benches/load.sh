#!/usr/bin/env bash
# HTTP load test of GET /api/v1/search against the release binary.
#
# Builds `hotline` in release mode, starts `hotline serve` on 127.0.0.1 (a port the kernel
# picks) with a throw-away database and index (the first start imports the sample knowledge
# base in knowledge/), waits for /healthz, creates an agent token with `hotline token create`,
# checks every query once, then drives wrk for a fixed time over ~20 realistic caller queries
# and prints requests/s and latency percentiles.
# The server is stopped and the temp directory removed on exit, whatever happens.
#
# Settings (environment): DURATION per run (default 20s), WARMUP (5s), CONNECTIONS (the
# connection counts to run, default "1 16"), THREADS (wrk threads, at most 2 by default),
# STARTUP_TIMEOUT seconds (120), RUST_LOG (server log level, default info).
# Every request goes through the real handler, including the search-log insert into SQLite.
set -euo pipefail

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-"1 16"}
THREADS=${THREADS:-2}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}

cd "$(dirname "$0")/.."
ROOT=$(pwd)

if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk not found; installing it (Debian package wrk)" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get install -y wrk >&2
    fi
    command -v wrk >/dev/null 2>&1 || { echo "error: wrk is required (apt-get install wrk)" >&2; exit 1; }
fi

echo "== cargo build --release" >&2
cargo build --release --bin hotline >&2
BIN="$ROOT/target/release/hotline"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hotline-load.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting hotline serve (data in $WORK)" >&2
# Everything the server writes (database, index, first admin token) stays in $WORK.
export HOTLINE_DATABASE_URL="sqlite://$WORK/hotline.db"
export HOTLINE_INDEX_DIR="$WORK/indexes"
export HOTLINE_KNOWLEDGE_DIR="$ROOT/knowledge"
export HOTLINE_ADMIN_TOKEN_FILE="$WORK/admin-token"
unset HOTLINE_BIND HOTLINE_METRICS_BIND
"$BIN" serve --bind 127.0.0.1:0 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

# The server prints its address once it listens and the index is ready.
BASE=""
deadline=$((SECONDS + STARTUP_TIMEOUT))
while [ -z "$BASE" ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "error: hotline serve exited during startup:" >&2
        cat "$WORK/server.log" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "error: hotline serve did not start within ${STARTUP_TIMEOUT}s" >&2
        cat "$WORK/server.log" >&2
        exit 1
    fi
    BASE=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/server.log" | head -n 1 || true)
    [ -n "$BASE" ] || sleep 0.2
done
until curl -fsS --max-time 2 "$BASE/healthz" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "error: $BASE/healthz never answered" >&2
        cat "$WORK/server.log" >&2
        exit 1
    fi
    sleep 0.2
done
echo "== serving at $BASE" >&2

# /api/v1 needs a bearer token: an agent token (the role that searches), made with the CLI on
# the server's database. Its secret is the last line printed.
TOKEN=$("$BIN" token create --role agent --name load-test | tail -n 1)
[ -n "$TOKEN" ] || { echo "error: could not create an agent token" >&2; exit 1; }
printf 'Authorization: Bearer %s\n' "$TOKEN" >"$WORK/auth-header"
export HOTLINE_LOAD_TOKEN="$TOKEN" # read by the wrk script, kept out of command lines

# Queries an agent or a speech recogniser sends: keywords, colloquial sentences, ASR errors,
# district questions, one longer transcript excerpt and one the knowledge base cannot answer.
cat >"$WORK/search.lua" <<'LUA'
local queries = {
  "公积金 租房",
  "我刚在东湖区买了套二手房，公积金能取出来付首付吗，要带啥",
  "社保卡不办要带什么材料",
  "身份证丢了怎么补办",
  "孩子上小学怎么报名",
  "营业执照 注销",
  "我家楼下想支个烧烤小摊，是不是得先去办个什么照啊",
  "老板拖欠工资三个月了找谁",
  "异地就医备案怎么弄",
  "新房交房后房产证怎么办",
  "个税汇算清缴 退税",
  "停水了什么时候来水",
  "驾驶证到期换证",
  "结婚登记要带什么",
  "临江县低保怎么申请",
  "公基金贷款额度是多少",
  "养老保险断交了还能补吗",
  "楼下饭店油烟太大晚上还吵找哪个部门",
  "喂你好，那个我想问一下啊，就是我爸今年刚退休，他那个社保卡好像丢了，说是要补办，不办的话看病没法刷卡，社保卡补办要带什么材料啊，是去银行还是去社保局，能不能我帮他代办，他腿脚不太方便",
  "火星移民签证怎么办理",
}

wrk.headers["Authorization"] = "Bearer " .. os.getenv("HOTLINE_LOAD_TOKEN")

local function encode(s)
  return (s:gsub("[^%w%-%_%.%~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local paths = {}
for i, q in ipairs(queries) do
  paths[i] = "/api/v1/search?q=" .. encode(q)
end

local counter = 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local s = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format("RESULT requests=%d duration_s=%.1f rps=%.1f\n",
    summary.requests, s, summary.requests / s))
  io.write(string.format("RESULT latency_ms mean=%.2f p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f\n",
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000))
  io.write(string.format("RESULT errors connect=%d read=%d write=%d status=%d timeout=%d\n",
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
LUA

# Every query must answer 200 before the load starts (also warms the page cache).
grep -o '^  "[^"]*",$' "$WORK/search.lua" | sed 's/^  "//; s/",$//' | while IFS= read -r q; do
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -H "@$WORK/auth-header" \
        -G "$BASE/api/v1/search" --data-urlencode "q=$q")
    if [ "$code" != "200" ]; then
        echo "error: query \"$q\" answered HTTP $code" >&2
        exit 1
    fi
done

echo "== warm-up: wrk -t$THREADS -c$THREADS -d$WARMUP" >&2
wrk -t"$THREADS" -c"$THREADS" -d"$WARMUP" --timeout 10s -s "$WORK/search.lua" "$BASE" >/dev/null

# One run per connection count: 1 shows the latency of a lone request, more show throughput
# at saturation (latency then includes queueing).
for c in $CONNECTIONS; do
    t=$((THREADS < c ? THREADS : c))
    echo
    echo "== load: wrk -t$t -c$c -d$DURATION --latency (20 queries in rotation)"
    wrk -t"$t" -c"$c" -d"$DURATION" --timeout 10s --latency -s "$WORK/search.lua" "$BASE"
done

echo "== server log (warnings and errors)" >&2
grep -E 'WARN|ERROR' "$WORK/server.log" >&2 || echo "(none)" >&2
