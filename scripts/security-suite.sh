#!/usr/bin/env bash
# The attack and fault suite of docs/security.md (module security-suite) against a real server on loopback and
# the real Docker engine. Prints a table of figures per kind and one line "N passed, N failed".
#   scripts/security-suite.sh            the default cases (the part that also runs in CI)
#   scripts/security-suite.sh --heavy    only the heavy cases: 1000 concurrent runs, slowloris with 1000 connections
#   scripts/security-suite.sh -Dit.test=PathsIT   one class (any extra argument goes to Maven)
# The summary is also written to security-suite/target/security-suite-summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/docker-bootstrap.sh --quiet
args=()
if [[ ${1:-} == --heavy ]]; then
  args+=(-Pheavy)
  shift
fi
exec ./mvnw -B -ntp -pl security-suite -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test='dev.agentkernel.security.*IT' "${args[@]}" "$@"
