#!/usr/bin/env bash
# The test command of the README: sets up the Docker engine, the local test images and Chromium (for the browser
# tests), then runs every unit test (surefire, *Test) and every integration test against the real engine (failsafe,
# *IT); then the backend contract, the inside-the-sandbox and the network isolation cases once more under gVisor
# (profile also-runsc, about 4 minutes). AGENTKERNEL_TEST_RUNSC=0 leaves gVisor out (it is then neither installed nor registered).
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
if ! command -v chromium >/dev/null 2>&1 && [[ -z ${AGENTKERNEL_CHROMIUM:-} ]]; then
  # The browser tests (HeadlessChromium) open sandboxes' web pages through signed port URLs in a real browser.
  echo "== agentkernel tests: headless Chromium (Debian's chromium package, a minute or two)" >&2
  as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  }
fi
echo "== agentkernel tests: ./mvnw verify ${profiles[*]}" >&2
exec ./mvnw -B -ntp verify "${profiles[@]}" "$@"
