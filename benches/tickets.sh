#!/usr/bin/env bash
# Ticket benchmarks against the release binary on SQLite:
#   1. POST /api/v1/tickets with wrk at CONNECTIONS connections for DURATION: tickets/s sustained
#      (every request a transaction: number from the day's sequence, ticket row, first event);
#   2. a department's list among ROWS tickets (bulk-inserted straight into the database, spread
#      over the 23 sample departments): GET /api/v1/tickets?department=…&limit=50 on one
#      connection, latency percentiles.
# Settings (environment): BIN (default target/release/hotline, built if missing), DURATION (20s),
# CONNECTIONS (32), ROWS (1000000).
set -euo pipefail

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
ROWS=${ROWS:-1000000}
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${BIN:-$ROOT/target/release/hotline}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is required (apt-get install sqlite3)" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release --bin hotline >&2

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hotline-tickets.XXXXXX")
SERVER=""
stop() {
    if [ -n "$SERVER" ]; then kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    SERVER=""
}
trap 'stop; rm -rf "$WORK"' EXIT

export HOTLINE_DATABASE_URL="sqlite://$WORK/hotline.db" HOTLINE_INDEX_DIR="$WORK/indexes" \
    HOTLINE_KNOWLEDGE_DIR="$ROOT/knowledge" HOTLINE_ADMIN_TOKEN_FILE="$WORK/admin-token" \
    HOTLINE_SEMANTIC=off RUST_LOG=warn

start() {
    "$BIN" serve --bind 127.0.0.1:0 2>"$WORK/serve.log" &
    SERVER=$!
    for _ in $(seq 1 120); do
        ADDRESS=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.log" | head -n1 || true)
        [ -n "$ADDRESS" ] && return
        sleep 0.5
    done
    cat "$WORK/serve.log" >&2; exit 1
}

start
TOKEN=$("$BIN" token create --role agent --name bench-agent | tail -n1)
DISPATCHER=$("$BIN" token create --role dispatcher --name bench-dispatcher | tail -n1)

cat > "$WORK/create.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.body = '{"type":"投诉","content":"幸福小区3号楼电梯坏了一周没人修，物业说在等配件","region":"东湖区","resolution":"dispatch","caller_phone":"13812341234"}'
LUA
echo "== POST /api/v1/tickets, $CONNECTIONS connections, $DURATION"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/create.lua" "$ADDRESS/api/v1/tickets"
stop

echo "== inserting $ROWS tickets"
DB="$WORK/hotline.db"
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
CREATE TEMP TABLE depts AS SELECT code, row_number() OVER (ORDER BY code) - 1 AS n FROM departments;
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $ROWS)
INSERT INTO tickets (id, number, status, channel, ticket_type, urgency, content, resolution,
    department, co_departments, round, dispatched_at, due_at, extensions, returns, poor_ratings,
    search_ids, entry_ids, created_by, created_at, updated_at, version)
SELECT printf('0190%012d-bench', i), printf('20250101-b%07d', i),
    CASE i % 5 WHEN 0 THEN 'closed' WHEN 1 THEN 'replied' ELSE 'dispatched' END,
    '电话', '投诉', '一般', '批量生成的工单 ' || i, 'dispatch',
    (SELECT code FROM depts WHERE n = i % (SELECT COUNT(*) FROM depts)), '[]', 1,
    '2025-01-01T00:00:00.000Z', printf('2025-%02d-%02dT15:59:59.000Z', 1 + i % 12, 1 + i % 28),
    0, 0, 0, '[]', '[]', 'bench', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', 1
FROM seq;
ANALYZE;
SQL
echo "tickets: $(sqlite3 "$DB" 'SELECT COUNT(*) FROM tickets')"

start
cat > "$WORK/list.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $DISPATCHER"
LUA
echo "== GET /api/v1/tickets?department=SBZX&limit=50 among $ROWS tickets, 1 connection"
wrk -t1 -c1 -d"$DURATION" --latency -s "$WORK/list.lua" "$ADDRESS/api/v1/tickets?department=SBZX&limit=50"
echo "== same, overdue only"
wrk -t1 -c1 -d"$DURATION" --latency -s "$WORK/list.lua" "$ADDRESS/api/v1/tickets?department=SBZX&overdue=true&limit=50"
