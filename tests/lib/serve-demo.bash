# Sourced by the test scripts that drive the real binary from outside
# (Open311 clients, schemathesis): serve_demo starts `serve --demo` on a
# fresh data folder (and, given a URL, a PostgreSQL database), waits until
# it listens, and sets `demo_url`, `demo_pid` and `demo_env` (the
# environment to run the CLI against the same installation).
serve_demo() {
  local data="$1" database="${2:-}"
  demo_env=(-u CHUANGKOU_DATABASE_URL CHUANGKOU_DATA_DIR="$data" CHUANGKOU_LOG=error)
  if [ -n "$database" ]; then demo_env+=(CHUANGKOU_DATABASE_URL="$database"); fi
  env "${demo_env[@]}" "${CHUANGKOU_BIN:?set CHUANGKOU_BIN to the chuangkou binary}" \
    serve --demo --listen 127.0.0.1:0 >"$data/serve.log" 2>&1 &
  demo_pid=$!
  demo_url=""
  for _ in $(seq 1 600); do
    demo_url="$(grep -oE 'listening on http://[0-9.:]+' "$data/serve.log" | head -1 | cut -d' ' -f3 || true)"
    [ -n "$demo_url" ] && return 0
    kill -0 "$demo_pid" 2>/dev/null || { cat "$data/serve.log"; return 1; }
    sleep 0.1
  done
  echo "serve did not start"; cat "$data/serve.log"; kill "$demo_pid"; return 1
}

# An API token for a demo user: the last word of the CLI's first line.
demo_token() {
  env "${demo_env[@]}" "$CHUANGKOU_BIN" user token --username "$1" --name "$2" | head -1 | awk '{print $NF}'
}
