# Sourced by the ticket benchmarks (tickets.sh, tickets_kill.sh): checks the tools, the release
# binary BIN (default target/release/hotline, built if missing), a scratch directory WORK with
# its SQLite database and index (removed on exit), `start` (serves it, sets SERVER and ADDRESS)
# and `stop`, and `create_script FILE` (the wrk script of part 1, posting one call as an agent).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
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

# create_script FILE TOKEN: wrk posts one dispatched complaint with TOKEN.
create_script() {
    cat > "$1" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $2"
wrk.body = '{"type":"投诉","content":"幸福小区3号楼电梯坏了一周没人修，物业说在等配件","region":"东湖区","resolution":"dispatch","caller_phone":"13812341234"}'
LUA
}
