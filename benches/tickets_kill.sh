#!/usr/bin/env bash
# No acknowledged ticket is lost when the server is killed under load, on SQLite:
# POST /api/v1/tickets with wrk at CONNECTIONS connections, every 201 answer's ticket id logged;
# after KILL_AFTER seconds the server gets `kill -9`, is started again on the same database, and
# every logged id must be in the database. Prints PASS or FAIL (and exits 1 on FAIL).
# Settings (environment): BIN (default target/release/hotline, built if missing), CONNECTIONS
# (32), KILL_AFTER (8, seconds).
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-32}
KILL_AFTER=${KILL_AFTER:-8}
source "$(dirname "$0")/tickets_common.sh"
WRK=""
trap '[ -n "$WRK" ] && kill -INT "$WRK" 2>/dev/null; stop; rm -rf "$WORK"' EXIT

start
TOKEN=$("$BIN" token create --role agent --name kill-agent | tail -n1)

# Each wrk thread appends the id of every acknowledged (201) ticket, one line per write.
create_script "$WORK/create.lua" "$TOKEN"
cat >> "$WORK/create.lua" <<LUA
local log
function init(args)
    log = io.open("$WORK/acknowledged.txt", "a")
    log:setvbuf("line")
end
function response(status, headers, body)
    if status == 201 then
        local id = string.match(body, '"id":"([^"]+)"')
        if id then log:write(id, "\n") end
    end
end
LUA
echo "== POST /api/v1/tickets, $CONNECTIONS connections; kill -9 after ${KILL_AFTER}s"
wrk -t2 -c"$CONNECTIONS" -d"$((KILL_AFTER + 30))s" -s "$WORK/create.lua" "$ADDRESS/api/v1/tickets" \
    >"$WORK/wrk.log" 2>&1 &
WRK=$!
sleep "$KILL_AFTER"
kill -9 "$SERVER"
wait "$SERVER" 2>/dev/null || true
SERVER=""
sleep 1
kill -INT "$WRK" 2>/dev/null || true
wait "$WRK" 2>/dev/null || true
WRK=""

sort -u "$WORK/acknowledged.txt" >"$WORK/acked-sorted.txt"
ACKED=$(wc -l <"$WORK/acked-sorted.txt")
start
sqlite3 -cmd ".timeout 30000" "$WORK/hotline.db" 'SELECT id FROM tickets' | sort -u >"$WORK/stored.txt"
STORED=$(wc -l <"$WORK/stored.txt")
LOST=$(comm -23 "$WORK/acked-sorted.txt" "$WORK/stored.txt" | wc -l)
DUPLICATES=$(sqlite3 -cmd ".timeout 30000" "$WORK/hotline.db" 'SELECT COUNT(*) - COUNT(DISTINCT number) FROM tickets')
echo "acknowledged before the kill: $ACKED; in the database after restart: $STORED; lost: $LOST; duplicate numbers: $DUPLICATES"
if [ "$ACKED" -gt 0 ] && [ "$LOST" -eq 0 ] && [ "$DUPLICATES" -eq 0 ]; then
    echo "PASS"
else
    comm -23 "$WORK/acked-sorted.txt" "$WORK/stored.txt" | head -n5
    echo "FAIL"
    exit 1
fi
