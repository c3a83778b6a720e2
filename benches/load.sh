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
# Large knowledge bases (benches/README.md): KB=DIR imports DIR (as `hotline bench-kb` writes
# it) with `hotline import` before the server starts, timed; REINDEX=1 then times a
# `hotline reindex`; QUERIES=FILE rotates over the questions of FILE (one a line, optionally a
# tab and the caller's district; default $KB/eval/load.tsv when KB is set) instead of the 20
# built-in ones; BIN=PATH runs that binary instead of building one. HOTLINE_SEMANTIC is passed on.
# VECTORS=1 (with KB) stores every entry's vectors after the import with the hidden
# `hotline bench-vectors` (the sample's entries embedded, each district version borrowing its
# source's vectors: no hours of embedding), so that `HOTLINE_SEMANTIC=on` serves the dense stage
# over all of them; the load then waits until /readyz says the semantic stage is ready.
# RATES="50 100" adds open-loop runs at those offered rates (searches/s, for DURATION each, in
# seconds: benches/open_loop.rs) after the warm-up, before the wrk runs; latencies count from
# when each request was due.
# The server's resident memory (VmRSS, VmHWM) is printed after start-up and after the load.
# Every request goes through the real handler, including the search-log insert into SQLite.
set -euo pipefail

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-"1 16"}
THREADS=${THREADS:-2}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-120}
KB=${KB:-}
REINDEX=${REINDEX:-0}
QUERIES=${QUERIES:-}
BIN=${BIN:-}
VECTORS=${VECTORS:-0}
RATES=${RATES:-}
if [ -n "$KB" ]; then
    KB=$(cd "$KB" && pwd)
    if [ -z "$QUERIES" ] && [ -f "$KB/eval/load.tsv" ]; then
        QUERIES="$KB/eval/load.tsv"
    fi
fi
if [ -n "$QUERIES" ]; then
    QUERIES=$(cd "$(dirname "$QUERIES")" && pwd)/$(basename "$QUERIES")
fi

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

if [ -z "$BIN" ]; then
    echo "== cargo build --release" >&2
    cargo build --release --bin hotline >&2
    BIN="$ROOT/target/release/hotline"
fi

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

# Seconds (and peak memory) of one CLI command, as a RESULT line.
timed() {
    local label=$1
    shift
    local start_ns
    start_ns=$(date +%s%N)
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "%M" -o "$WORK/time.$label" "$@" >&2
    else
        "$@" >&2
    fi
    local ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
    local peak="?"
    [ -f "$WORK/time.$label" ] && peak=$(( $(tail -n 1 "$WORK/time.$label") / 1024 ))
    echo "RESULT $label seconds=$((ms / 1000)).$(printf '%03d' $((ms % 1000))) peak_rss_mb=$peak load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
}

# Resident memory of the server, as a RESULT line.
memory() {
    local status="/proc/$SERVER_PID/status"
    [ -r "$status" ] || return 0
    local rss hwm
    rss=$(awk '/^VmRSS:/ {print int($2 / 1024)}' "$status")
    hwm=$(awk '/^VmHWM:/ {print int($2 / 1024)}' "$status")
    echo "RESULT memory $1 vmrss_mb=$rss vmhwm_mb=$hwm"
}

if [ -n "$KB" ]; then
    echo "== hotline import $KB" >&2
    timed import "$BIN" import "$KB"
    if [ "$REINDEX" = 1 ]; then
        echo "== hotline reindex" >&2
        timed reindex "$BIN" reindex
    fi
    if [ "$VECTORS" = 1 ]; then
        echo "== hotline bench-vectors" >&2
        timed vectors "$BIN" bench-vectors
    fi
fi

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
echo "== serving at $BASE (HOTLINE_SEMANTIC=${HOTLINE_SEMANTIC:-auto})" >&2
memory after-start
if [ "${HOTLINE_SEMANTIC:-auto}" != off ]; then
    # The dense stage loads (or embeds) entry vectors in the background: wait for it.
    until curl -fsS --max-time 2 "$BASE/readyz" 2>/dev/null | grep -Eq '"state":"(ready|off)"'; do
        if [ "$SECONDS" -ge $((deadline + 600)) ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "error: the semantic stage never became ready" >&2
            exit 1
        fi
        sleep 1
    done
    echo "== semantic stage: $(curl -fsS "$BASE/readyz" | grep -o '"semantic":{[^}]*}')" >&2
    memory semantic-ready
fi

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

-- HOTLINE_LOAD_QUERIES names a file of questions (one a line, optionally a tab and a district).
local paths = {}
local file = os.getenv("HOTLINE_LOAD_QUERIES") or ""
if file ~= "" then
  for line in io.lines(file) do
    local q, region = line:match("^([^\t]*)\t?(.*)$")
    if q and q ~= "" then
      local path = "/api/v1/search?q=" .. encode(q)
      if region and region ~= "" then
        path = path .. "&region=" .. encode(region)
      end
      paths[#paths + 1] = path
    end
  end
else
  for i, q in ipairs(queries) do
    paths[i] = "/api/v1/search?q=" .. encode(q)
  end
end

local counter = 0
local threads = {}

-- Threads start far apart in the rotation, so no question is asked twice in a short while.
function setup(thread)
  thread:set("offset", #threads * 7919)
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

export HOTLINE_LOAD_QUERIES="$QUERIES"
if [ -n "$QUERIES" ]; then
    echo "== $(wc -l <"$QUERIES") distinct questions from $QUERIES" >&2
fi

# Every query (the first 20 of a file) must answer 200 before the load starts.
if [ -n "$QUERIES" ]; then
    head -n 20 "$QUERIES" | cut -f1
else
    grep -o '^  "[^"]*",$' "$WORK/search.lua" | sed 's/^  "//; s/",$//'
fi | while IFS= read -r q; do
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -H "@$WORK/auth-header" \
        -G "$BASE/api/v1/search" --data-urlencode "q=$q")
    if [ "$code" != "200" ]; then
        echo "error: query \"$q\" answered HTTP $code" >&2
        exit 1
    fi
done

echo "== warm-up: wrk -t$THREADS -c$THREADS -d$WARMUP" >&2
wrk -t"$THREADS" -c"$THREADS" -d"$WARMUP" --timeout 10s -s "$WORK/search.lua" "$BASE" >/dev/null

# Open-loop runs come next, before wrk has asked most questions: the first starts at question
# 400 of the rotation (the warm-up asks a few hundred from question 0 and from question 1919,
# where its second thread starts), each next one where the previous stopped, so no question is
# asked twice (given enough questions) and none is answered from the query-vector cache.
if [ -n "$RATES" ]; then
    echo "== cargo bench --bench open_loop --no-run" >&2
    cargo bench --bench open_loop --no-run >&2
fi
offset=400
for rate in $RATES; do
    echo
    echo "== open loop: $rate searches/s offered for $DURATION from question $offset (load $(cut -d' ' -f1-3 /proc/loadavg))"
    HOTLINE_URL="$BASE" RATE="$rate" DURATION="${DURATION%s}" OFFSET="$offset" \
        cargo bench --bench open_loop 2>/dev/null
    offset=$((offset + rate * ${DURATION%s}))
done
if [ -n "$RATES" ]; then
    memory after-open-loop
fi

# One run per connection count: 1 shows the latency of a lone request, more show throughput
# at saturation (latency then includes queueing).
for c in $CONNECTIONS; do
    t=$((THREADS < c ? THREADS : c))
    echo
    echo "== load: wrk -t$t -c$c -d$DURATION --latency (${QUERIES:-20 built-in queries} in rotation; load $(cut -d' ' -f1-3 /proc/loadavg))"
    wrk -t"$t" -c"$c" -d"$DURATION" --timeout 10s --latency -s "$WORK/search.lua" "$BASE"
done
memory after-load

echo "== server log (warnings and errors)" >&2
grep -E 'WARN|ERROR' "$WORK/server.log" >&2 || echo "(none)" >&2
