#!/usr/bin/env bash
# Makes sure a Docker engine is reachable and the local base images exist.
# Used by .ci/run, by the ./agentkernel launcher (setup) and by developers.
#   scripts/docker-bootstrap.sh [--engine-only] [--images-only] [--quiet]
# Idempotent: every step checks first and does nothing when already done.
set -euo pipefail

BUSYBOX_IMAGE=${AGENTKERNEL_BUSYBOX_IMAGE:-agentkernel/busybox:local}
PYTHON_IMAGE=${AGENTKERNEL_PYTHON_IMAGE:-agentkernel/python:local}
STATE_DIR=${AGENTKERNEL_HOME:-$HOME/.agentkernel}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/agentkernel-dockerd.log}
QUIET=0; DO_ENGINE=1; DO_IMAGES=1
for a in "$@"; do
  case "$a" in
    --engine-only) DO_IMAGES=0 ;;
    --images-only) DO_ENGINE=0 ;;
    --quiet) QUIET=1 ;;
    *) echo "usage: $0 [--engine-only|--images-only] [--quiet]" >&2; exit 2 ;;
  esac
done

say() { [[ $QUIET == 1 ]] || echo "agentkernel setup: $*" >&2; }
die() { echo "agentkernel setup: error: $*" >&2; exit 1; }
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# apt-get install, refreshing the package lists first when they are missing or stale (a fresh machine has none).
apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 || {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  }
}

engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# The socket of the engine we talk to (DOCKER_HOST=unix://..., else the default).
engine_socket() { local h=${DOCKER_HOST:-unix:///var/run/docker.sock}; echo "${h#unix://}"; }

# Prints the exact commands that install and start an engine on this machine, then stops.
die_with_install_commands() {
  local sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo "
  {
    echo "agentkernel setup: error: no Docker engine is installed, and this machine cannot install one by itself$1."
    echo "  Run these commands, then run agentkernel again:"
    if [[ -r /etc/debian_version ]]; then
      echo "    ${sudo}apt-get update && ${sudo}apt-get install -y docker.io"
    elif command -v dnf >/dev/null 2>&1; then
      echo "    ${sudo}dnf install -y moby-engine || ${sudo}dnf install -y docker"
    else
      echo "    install Docker Engine for your distribution: https://docs.docker.com/engine/install/"
    fi
    echo "    ${sudo}systemctl enable --now docker        # or, without systemd: ${sudo}dockerd &"
    [[ $(id -u) == 0 ]] || echo "    sudo usermod -aG docker \$USER && newgrp docker   # use the engine without sudo"
  } >&2
  exit 1
}

ensure_engine() {
  if engine_up; then return 0; fi
  if [[ -n ${DOCKER_HOST:-} && $DOCKER_HOST != unix://* ]]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"
  fi
  local sock; sock=$(engine_socket)
  if [[ -S $sock && ! -w $sock && $(id -u) != 0 ]]; then
    die "the Docker engine at $sock is running but $(id -un) may not use it. Run:
    sudo usermod -aG docker \$USER && newgrp docker     (or run agentkernel as root)"
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    if [[ ! -r /etc/debian_version ]]; then
      die_with_install_commands " (only Debian and Ubuntu are installed automatically)"
    elif [[ $(id -u) != 0 ]] && ! sudo -n true 2>/dev/null; then
      die_with_install_commands " (it needs root)"
    fi
    say "installing the Docker engine: apt-get install docker.io (Debian package; about a minute)..."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  if ! command -v docker >/dev/null 2>&1; then die "the docker client is missing (install docker.io)"; fi
  say "starting the Docker engine (log: $DOCKERD_LOG)..."
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    as_root systemctl start docker || true
  fi
  if ! engine_up; then
    as_root setsid dockerd >"$DOCKERD_LOG" 2>&1 < /dev/null &
  fi
  for _ in $(seq 1 120); do engine_up && break; sleep 0.25; done
  engine_up || die "the Docker engine did not come up; see $DOCKERD_LOG"
  say "Docker engine $(docker version --format '{{.Server.Version}}') is up"
}

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

apt_mirror() {
  local m
  m=$(grep -hoE '^URIs: *http[^ ]+' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | sed 's/^URIs: *//') || true
  if [[ -z $m ]]; then
    m=$(grep -hoE '^deb +(\[[^]]*\] +)?http[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1 | awk '{print $NF}') || true
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# A ~2 MB image: static busybox, one symlink per applet, root and nobody users.
build_busybox() {
  image_present "$BUSYBOX_IMAGE" && return 0
  local bb
  bb=$(command -v busybox || true)
  # Only a static busybox runs in an image without a libc; ldd says so ("statically linked" for static-pie).
  local linkage=""
  [[ -n $bb ]] && linkage=$(ldd "$bb" 2>&1 || true)   # ldd fails on a static binary; pipefail would hide the text
  if [[ ! $linkage =~ (not a dynamic|statically linked) ]]; then
    say "installing busybox-static..."
    apt_install busybox-static
    bb=/bin/busybox
  fi
  say "building $BUSYBOX_IMAGE..."
  local root; root=$(mktemp -d)
  mkdir -p "$root"/{bin,usr/bin,sbin,etc,tmp,root,workspace,proc,sys,dev,home}
  cp "$bb" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [[ $applet == busybox ]] || ln -sf /bin/busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  chmod 1777 "$root/tmp"; chown 65534:65534 "$root/workspace"
  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' -c 'WORKDIR /workspace' \
    -c 'CMD ["/bin/sh"]' - "$BUSYBOX_IMAGE" >/dev/null
  rm -rf "$root"
}

# A Debian minbase with python3 (stdlib included), built from the distribution mirror.
build_python() {
  image_present "$PYTHON_IMAGE" && return 0
  command -v debootstrap >/dev/null 2>&1 || {
    say "installing debootstrap..."
    apt_install debootstrap
  }
  local mirror; mirror=$(apt_mirror)
  say "building $PYTHON_IMAGE with debootstrap from $mirror (about a minute, once)..."
  local root; root=$(mktemp -d)
  as_root debootstrap --variant=minbase --include=python3 bookworm "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -20 "$root.log" >&2; die "debootstrap failed (log above)"; }
  as_root rm -rf "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/info \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  as_root mkdir -p "$root/workspace"; as_root chown 65534:65534 "$root/workspace"
  as_root tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' -c 'WORKDIR /workspace' -c 'CMD ["/bin/sh"]' - "$PYTHON_IMAGE" >/dev/null
  as_root rm -rf "$root" "$root.log"
}

[[ $DO_ENGINE == 1 ]] && ensure_engine
if [[ $DO_IMAGES == 1 ]]; then
  engine_up || die "the Docker engine is not running (run without --images-only)"
  if ! image_present "$BUSYBOX_IMAGE" || ! image_present "$PYTHON_IMAGE"; then
    build_busybox
    build_python
    say "images ready: $BUSYBOX_IMAGE $PYTHON_IMAGE (the offline alternatives of busybox:1.36 and python:3.12-alpine)"
  fi
fi
