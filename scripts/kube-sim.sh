#!/usr/bin/env bash
# A simulated Kubernetes cluster on this machine, for trying the Kubernetes backend without a cluster:
# fabric8's mock API server (CRUD mode) plus a simulated kubelet that runs every pod as a real container on the
# local Docker engine (see kube-sim/ and docs/kubernetes.md). Writes a kubeconfig and serves until Ctrl-C, then
# removes every container and volume it made.
#   scripts/kube-sim.sh [--port 6443] [--kubeconfig FILE] [--namespace NS] [--pod-pids-limit N]
# then, in another terminal:
#   KUBECONFIG=$PWD/kube-sim.kubeconfig ./agentkernel serve --backend kubernetes
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
TARGET="$ROOT/kube-sim/target"
mkdir -p "$TARGET"
echo "kube-sim: building (a minute the first time)..." >&2
if ! ./mvnw -B -q -ntp -pl kube-sim -am package -DskipTests >"$TARGET/build.log" 2>&1 \
   || ! ./mvnw -B -q -ntp -pl kube-sim dependency:build-classpath -Dmdep.outputFile="$TARGET/classpath.txt" \
        >>"$TARGET/build.log" 2>&1; then
  tail -n 40 "$TARGET/build.log" >&2
  echo "kube-sim: the build failed (full log: $TARGET/build.log)" >&2
  exit 1
fi
args=("$@")
if [[ " $* " != *" --kubeconfig "* ]]; then args+=(--kubeconfig "$ROOT/kube-sim.kubeconfig"); fi
# The mock server parses its first requests on its event loop: Vert.x would call that a blocked thread.
exec "$JAVA" -Dorg.slf4j.simpleLogger.log.io.vertx.core.impl.BlockedThreadChecker=error -cp "$TARGET/classes:$(cat "$TARGET/classpath.txt")" dev.agentkernel.kubesim.KubeSim "${args[@]}"
