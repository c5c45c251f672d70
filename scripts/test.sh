#!/usr/bin/env bash
# The test command of the README: sets up the Docker engine and the local test images, then runs every
# unit test (surefire, *Test) and every integration test against the real engine (failsafe, *IT); then the backend
# contract, the inside-the-sandbox and the network isolation cases once more under gVisor (profile also-runsc,
# about 4 minutes). AGENTKERNEL_TEST_RUNSC=0 leaves gVisor out (it is then neither installed nor registered).
#   scripts/test.sh [extra maven args...]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== agentkernel tests: Docker engine and images" >&2
scripts/docker-bootstrap.sh
profiles=()
if [[ ${AGENTKERNEL_TEST_RUNSC:-1} != 0 ]]; then
  # Registering a runtime reloads the engine (SIGHUP): running containers and the default runtime (runc) stay.
  echo "== agentkernel tests: gVisor (runsc) registered with the engine" >&2
  scripts/docker-bootstrap.sh --with-runsc
  profiles=(-Palso-runsc)
fi
echo "== agentkernel tests: ./mvnw verify ${profiles[*]}" >&2
exec ./mvnw -B -ntp verify "${profiles[@]}" "$@"
