#!/usr/bin/env bash
# The test command of the README: sets up the Docker engine and the local test images, then runs every
# unit test (surefire, *Test) and every integration test against the real engine (failsafe, *IT).
#   scripts/test.sh [extra maven args...]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== agentkernel tests: Docker engine and images" >&2
scripts/docker-bootstrap.sh
echo "== agentkernel tests: ./mvnw verify" >&2
exec ./mvnw -B -ntp verify "$@"
