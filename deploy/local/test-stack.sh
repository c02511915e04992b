#!/usr/bin/env bash
# The integration tests' stack (Kafka 127.0.0.1:19092, Elasticsearch 127.0.0.1:19200, state in .bulwark/test-stack),
# for Maven's pre- and post-integration-test phases: plain `mvn verify` starts it for a module's *IT tests and stops
# it afterwards, so nothing is left running. A stack that was already running (./bulwark test starts one for the whole
# suite) is used and left alone.
#
#   test-stack.sh up MARKER [SKIP_TESTS] [SKIP_ITS]    start unless running; MARKER records that this call started it
#   test-stack.sh down MARKER                          stop (and purge) only if MARKER says we started it
set -euo pipefail

action=${1:?usage: test-stack.sh up|down MARKER [SKIP_TESTS] [SKIP_ITS]}
marker=${2:?usage: test-stack.sh up|down MARKER [SKIP_TESTS] [SKIP_ITS]}
if [[ ${3:-false} == true || ${4:-false} == true ]]; then
  exit 0 # -DskipTests / -DskipITs: no integration test will run
fi

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
export BULWARK_HOME=${BULWARK_TEST_HOME:-$REPO_ROOT/.bulwark/test-stack}
export BULWARK_KAFKA_PORT=${BULWARK_TEST_KAFKA_PORT:-19092}
export BULWARK_KAFKA_CONTROLLER_PORT=${BULWARK_TEST_KAFKA_CONTROLLER_PORT:-19093}
export BULWARK_ES_PORT=${BULWARK_TEST_ES_PORT:-19200}
export BULWARK_ES_TRANSPORT_PORT=${BULWARK_TEST_ES_TRANSPORT_PORT:-19300}

case $action in
  up)
    if bash "$SCRIPT_DIR/stack.sh" status >/dev/null 2>&1; then
      echo "[bulwark] test stack already running on Kafka :$BULWARK_KAFKA_PORT, Elasticsearch :$BULWARK_ES_PORT; using it"
      exit 0
    fi
    echo "[bulwark] starting the test stack for the integration tests (stopped again after them)..."
    mkdir -p "$(dirname "$marker")"
    touch "$marker" # before up: a half-started stack is stopped too
    bash "$SCRIPT_DIR/stack.sh" up >/dev/null
    ;;
  down)
    if [[ -f $marker ]]; then
      rm -f "$marker"
      echo "[bulwark] stopping the test stack these integration tests started..."
      bash "$SCRIPT_DIR/stack.sh" down --purge
    fi
    ;;
  *)
    echo "usage: test-stack.sh up|down MARKER [SKIP_TESTS] [SKIP_ITS]" >&2
    exit 2
    ;;
esac
