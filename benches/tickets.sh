#!/usr/bin/env bash
# Ticket benchmarks against the release binary on SQLite:
#   1. POST /api/v1/tickets with wrk at CONNECTIONS connections for DURATION: tickets/s sustained
#      (each ticket acknowledged after its commit; waiting tickets share one transaction:
#      numbers from the day's sequence, ticket rows, first events, knowledge-gap observations);
#      `benches/tickets_kill.sh` checks that none acknowledged is lost to a kill -9;
#   2. a department's list among ROWS tickets (bulk-inserted straight into the database, spread
#      over the 23 sample departments): GET /api/v1/tickets?department=…&limit=50 on one
#      connection, latency percentiles.
# Settings (environment): BIN (default target/release/hotline, built if missing), DURATION (20s),
# CONNECTIONS (32), ROWS (1000000).
set -euo pipefail

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
ROWS=${ROWS:-1000000}
source "$(dirname "$0")/tickets_common.sh"

start
TOKEN=$("$BIN" token create --role agent --name bench-agent | tail -n1)
DISPATCHER=$("$BIN" token create --role dispatcher --name bench-dispatcher | tail -n1)

create_script "$WORK/create.lua" "$TOKEN"
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
