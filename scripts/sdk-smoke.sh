#!/usr/bin/env bash
# SDK smoke test: a fresh Maven project that depends only on the installed client SDK artifact compiles the
# remote quickstart example (examples/.../RemoteQuickstart.java, copied verbatim) and runs it against a real
# agentkernel server on a free loopback port with an API key.
#
#   scripts/sdk-smoke.sh            # install the SDK, start a server, build offline, run, stop the server
#   AGENTKERNEL_BASE_URL=http://127.0.0.1:18888 AGENTKERNEL_API_KEY=... scripts/sdk-smoke.sh
#                                   # use a server that is already running instead of starting one
# Needs the Docker engine and the local images (scripts/docker-bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentkernel-sdk-smoke.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true     # SIGTERM: the server closes gracefully and removes temporaries
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

VERSION=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' bom/pom.xml | head -1)

echo "== install the SDK artifact ($VERSION) and the BOM into the local repository" >&2
./mvnw -B -q -ntp -pl client-sdk,bom -am install -DskipTests >&2

if [ -z "${AGENTKERNEL_BASE_URL:-}" ]; then
  echo "== start a server (dev.agentkernel.server.Main with the Docker backend)" >&2
  ./mvnw -B -q -ntp -pl server,backend-docker -am install -DskipTests >&2
  ./mvnw -B -q -ntp -o -pl server,backend-docker dependency:build-classpath -Dmdep.outputFile=target/smoke-classpath.txt
  CP="server/target/classes:backend-docker/target/classes:core/target/classes"
  CP="$CP:$(cat server/target/smoke-classpath.txt):$(cat backend-docker/target/smoke-classpath.txt)"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18899)
  export AGENTKERNEL_API_KEY="smoke-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  # No warm pool (nothing pre-started is left behind), the audit log in the scratch folder, and python3 mapped
  # to the local image so that the server never asks a registry (this machine has none).
  cat > "$WORK/agentkernel.toml" <<TOML
[pool]
size = 0
[audit]
path = "$WORK/audit.jsonl"
[images]
python3 = "agentkernel/python:local"
TOML
  AGENTKERNEL_CONFIG="$WORK/agentkernel.toml" java -cp "$CP" dev.agentkernel.server.Main --host 127.0.0.1 \
    --port "$PORT" > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  export AGENTKERNEL_BASE_URL="http://127.0.0.1:$PORT"
  for _ in $(seq 1 150); do
    if curl -fsS -H "X-API-Key: $AGENTKERNEL_API_KEY" "$AGENTKERNEL_BASE_URL/health" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log" >&2; echo "server died" >&2; exit 1; fi
    sleep 0.2
  done
fi
echo "== server: $AGENTKERNEL_BASE_URL" >&2

echo "== fresh project in $WORK/app (depends on dev.agentkernel:agentkernel-client-sdk only)" >&2
mkdir -p "$WORK/app/src/main/java/dev/agentkernel/examples"
cp examples/src/main/java/dev/agentkernel/examples/RemoteQuickstart.java "$WORK/app/src/main/java/dev/agentkernel/examples/"
cat > "$WORK/app/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>sdk-smoke</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>dev.agentkernel</groupId>
        <artifactId>agentkernel-bom</artifactId>
        <version>$VERSION</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>dev.agentkernel</groupId>
      <artifactId>agentkernel-client-sdk</artifactId>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version></plugin>
    </plugins>
  </build>
</project>
POM

echo "== build it offline" >&2
./mvnw -B -q -ntp -o -f "$WORK/app/pom.xml" compile dependency:build-classpath -Dmdep.outputFile="$WORK/app/classpath.txt"
echo "   runtime classpath of the fresh project:" >&2
{ tr ':' '\n' < "$WORK/app/classpath.txt"; echo; } | sed '/^$/d; s:.*/::; s:^:     :' >&2

# python:3.12-alpine cannot be pulled here (no registry): use the local Python image when it is missing.
if ! docker image inspect python:3.12-alpine >/dev/null 2>&1; then
  export AGENTKERNEL_EXAMPLE_IMAGE=agentkernel/python:local
fi

echo "== run the remote quickstart" >&2
java -cp "$WORK/app/target/classes:$(cat "$WORK/app/classpath.txt")" dev.agentkernel.examples.RemoteQuickstart
echo "== sdk smoke: OK" >&2
