#!/usr/bin/env bash
# Makes sure a Docker engine is reachable and the local base images exist.
# Used by .ci/run, by the ./agentkernel launcher (setup) and by developers.
#   scripts/docker-bootstrap.sh [--engine-only] [--images-only] [--quiet]
#   scripts/docker-bootstrap.sh --firewall-status | --firewall-remove
#   scripts/docker-bootstrap.sh --with-runsc | --runsc-status | --runsc-remove   (gVisor, opt-in: docs/security.md)
# Idempotent: every step checks first and does nothing when already done. With the engine it installs the host
# firewall of the sandbox network (see sandbox_firewall below and docs/security.md).
set -euo pipefail

BUSYBOX_IMAGE=${AGENTKERNEL_BUSYBOX_IMAGE:-agentkernel/busybox:local}
PYTHON_IMAGE=${AGENTKERNEL_PYTHON_IMAGE:-agentkernel/python:local}
STATE_DIR=${AGENTKERNEL_HOME:-$HOME/.agentkernel}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/agentkernel-dockerd.log}
# The sandbox network's bridge interfaces (backend-docker SandboxNetwork: network agentkernel-sandboxes, bridge
# ak-sbx0) and the firewall chains of our own that guard them. Keep these names in step with SandboxNetwork.java.
SANDBOX_BRIDGES=ak-sbx+
FW_INPUT=AGENTKERNEL-INPUT
FW_FORWARD=AGENTKERNEL-FORWARD
QUIET=0; DO_ENGINE=1; DO_IMAGES=1; FIREWALL=install; RUNSC=""
for a in "$@"; do
  case "$a" in
    --engine-only) DO_IMAGES=0 ;;
    --images-only) DO_ENGINE=0 ;;
    --quiet) QUIET=1 ;;
    --firewall-status) FIREWALL=status ;;
    --firewall-remove) FIREWALL=remove ;;
    --with-runsc) RUNSC=install ;;
    --runsc-remove) RUNSC=remove ;;
    --runsc-status) RUNSC=status ;;
    *) echo "usage: $0 [--engine-only|--images-only] [--quiet] | --with-runsc | --firewall-status | --firewall-remove | --runsc-status | --runsc-remove" >&2; exit 2 ;;
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

# ---- the sandbox network's host firewall ----
# Docker's own rules stop a sandbox reaching other bridges (DOCKER-ISOLATION) and, with icc off, its neighbours on
# its own bridge; they do not stop it reaching the host: packets to any of the host's own addresses (the bridge
# gateway, docker0's gateway, the host's LAN address) are delivered locally through INPUT, which Docker leaves
# open, so every service the host binds on 0.0.0.0 is reachable. Nor do they stop it reaching private networks
# routed through the host (the LAN, a cloud metadata service). Our rules, all matching only our bridges:
#   INPUT  -i ak-sbx+ -> AGENTKERNEL-INPUT:   replies to connections the host made are let through, the rest refused;
#   DOCKER-USER -i ak-sbx+ -> AGENTKERNEL-FORWARD: DNS to the host's own name servers let through, private,
#          link-local, loopback, multicast and reserved ranges and the host's directly connected subnets refused;
#          everything else (the internet) returns to Docker's chains, which masquerade it as usual;
#   ip6tables: our network has no IPv6; INPUT and FORWARD from our bridges are refused outright.
# docker0 and every other interface (loopback included) are untouched, so other containers on this engine are not
# affected. Installing flushes and refills our chains (idempotent); --firewall-remove deletes the jumps and chains.
ipt() { as_root iptables -w "$@"; }
ip6t() { as_root ip6tables -w "$@"; }

# The jumps into our chains: "table|chain|rule" per line.
firewall_jumps() {
  echo "ipt|INPUT|-i $SANDBOX_BRIDGES -j $FW_INPUT"
  echo "ipt|DOCKER-USER|-i $SANDBOX_BRIDGES -j $FW_FORWARD"
  echo "ip6t|INPUT|-i $SANDBOX_BRIDGES -j $FW_INPUT"
  echo "ip6t|FORWARD|-i $SANDBOX_BRIDGES -j $FW_FORWARD"
}

# IPv4 name servers of this host that are not loopback (Docker's embedded DNS forwards to them from the sandbox).
host_nameservers() {
  awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ && $2 !~ /^127\./ {print $2}' /etc/resolv.conf 2>/dev/null || true
}

# Subnets the host reaches directly (its LAN), other than Docker's bridges.
host_subnets() {
  ip -4 -o route show scope link 2>/dev/null | awk '{print $1 " " $3}' \
    | grep -vE ' (docker[0-9]*|br-[0-9a-f]+|ak-sbx[0-9]*|veth.*)$' | awk '$1 ~ /\// {print $1}' || true
}

firewall_in_place() {
  local tool chain rule
  while IFS='|' read -r tool chain rule; do
    # shellcheck disable=SC2086
    $tool -C "$chain" $rule 2>/dev/null || return 1
  done < <(firewall_jumps)
}

firewall_install() {
  if ! command -v iptables >/dev/null 2>&1 || ! command -v ip6tables >/dev/null 2>&1; then
    say "installing iptables..."
    apt_install iptables
  fi
  if ! ipt -n -L DOCKER-USER >/dev/null 2>&1; then
    say "warning: the engine has no DOCKER-USER chain (started with --iptables=false?): the sandbox network is not guarded"
    return 1
  fi
  # Two sandboxes on one bridge talk at layer 2: only with br_netfilter do their packets pass iptables at all,
  # where Docker's icc=false rule and ours drop them.
  if [[ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
    as_root modprobe br_netfilter || { say "warning: cannot load br_netfilter: traffic between sandboxes would bypass the firewall"; return 1; }
  fi
  for f in bridge-nf-call-iptables bridge-nf-call-ip6tables; do
    [[ $(cat /proc/sys/net/bridge/$f) == 1 ]] || echo 1 | as_root tee /proc/sys/net/bridge/$f >/dev/null
  done
  local ns net
  ipt -N "$FW_INPUT" 2>/dev/null || ipt -F "$FW_INPUT"
  ipt -A "$FW_INPUT" -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
  ipt -A "$FW_INPUT" -j REJECT --reject-with icmp-port-unreachable
  ipt -N "$FW_FORWARD" 2>/dev/null || ipt -F "$FW_FORWARD"
  for ns in $(host_nameservers); do
    ipt -A "$FW_FORWARD" -d "$ns/32" -p udp --dport 53 -j RETURN
    ipt -A "$FW_FORWARD" -d "$ns/32" -p tcp --dport 53 -j RETURN
  done
  for net in 0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 \
      192.168.0.0/16 198.18.0.0/15 224.0.0.0/4 240.0.0.0/4 $(host_subnets); do
    ipt -A "$FW_FORWARD" -d "$net" -j REJECT --reject-with icmp-net-prohibited
  done
  ip6t -N "$FW_INPUT" 2>/dev/null || ip6t -F "$FW_INPUT"
  ip6t -A "$FW_INPUT" -j REJECT
  ip6t -N "$FW_FORWARD" 2>/dev/null || ip6t -F "$FW_FORWARD"
  ip6t -A "$FW_FORWARD" -j REJECT
  local tool chain rule
  while IFS='|' read -r tool chain rule; do
    # shellcheck disable=SC2086
    $tool -C "$chain" $rule 2>/dev/null || $tool -I "$chain" 1 $rule
  done < <(firewall_jumps)
}

firewall_remove() {
  local tool chain rule
  while IFS='|' read -r tool chain rule; do
    # shellcheck disable=SC2086
    while $tool -C "$chain" $rule 2>/dev/null; do $tool -D "$chain" $rule; done
  done < <(firewall_jumps)
  for tool in ipt ip6t; do
    for chain in "$FW_INPUT" "$FW_FORWARD"; do
      $tool -F "$chain" 2>/dev/null && $tool -X "$chain" || true
    done
  done
}

# ---- gVisor (runsc), opt-in ----
# Debian's runsc (2022 build) works here with the ptrace platform only (kvm hangs). gVisor's own network stack
# refuses to run on this kernel, so the runtime "runsc" is registered with --network=host: the Sentry then uses the
# host kernel's stack, but inside the network namespace the engine made for the container, so a sandbox still sits
# on our sandbox network (ak-sbx0) behind the firewall chains above, and a profile without network has loopback
# only. The engine reloads daemon.json on SIGHUP: running containers are not touched.
DAEMON_JSON=${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
RUNSC_ARGS='["--platform=ptrace", "--network=host"]'
runsc_registered() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; }
# Registered with today's arguments (an older registration had --network=none: bridge profiles had loopback only).
runsc_current() {
  docker info --format '{{json .Runtimes.runsc}}' 2>/dev/null | tr -d ' ' | grep -qF "$(tr -d ' ' <<<"$RUNSC_ARGS")"
}

# Adds (add) or removes (remove) the runsc runtime in daemon.json, keeping everything else in it.
edit_daemon_json() {
  command -v python3 >/dev/null 2>&1 || die "python3 is needed to edit $DAEMON_JSON; add the runsc runtime by hand"
  as_root mkdir -p "$(dirname "$DAEMON_JSON")"
  as_root python3 - "$DAEMON_JSON" "$1" "$(command -v runsc || echo /usr/bin/runsc)" "$RUNSC_ARGS" <<'PY'
import json, os, sys
path, action, runsc, args = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
conf = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) > 0 else {}
runtimes = conf.setdefault("runtimes", {})
if action == "add":
    runtimes["runsc"] = {"path": runsc, "runtimeArgs": args}
else:
    runtimes.pop("runsc", None)  # an empty "runtimes" stays: a reload without the key keeps the old runtimes
tmp = path + ".agentkernel-tmp"
with open(tmp, "w") as f:
    json.dump(conf, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
PY
}

reload_engine() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || pidof dockerd || true)
  [[ -n $pid ]] || die "cannot find the engine's process to reload it (SIGHUP dockerd yourself)"
  as_root kill -HUP "$pid"
}

runsc_install() {
  [[ -z ${DOCKER_HOST:-} || $DOCKER_HOST == unix://* ]] || die "--with-runsc works on the engine of this machine only"
  if ! command -v runsc >/dev/null 2>&1; then
    [[ -r /etc/debian_version ]] || die "install gVisor's runsc for your distribution, then run this again"
    say "installing gVisor: apt-get install runsc (Debian package)..."
    apt_install runsc
  fi
  if runsc_current; then return 0; fi
  say "registering runsc in $DAEMON_JSON (ptrace platform, network of the sandbox's own namespace) and reloading the engine (SIGHUP)..."
  edit_daemon_json add
  reload_engine
  for _ in $(seq 1 40); do runsc_current && break; sleep 0.25; done
  runsc_current || die "the engine did not pick up runsc; see its log"
  say "runsc ready: use it with [profiles.NAME] runtime = \"runsc\""
}

case $RUNSC in
  install) ensure_engine; runsc_install; exit 0 ;;
  status)  # one line; 0 registered as expected, 1 registered otherwise, 3 not registered (gVisor is opt-in)
    if runsc_current; then echo "registered (ptrace platform, network of the sandbox's own namespace)"; exit 0; fi
    if runsc_registered; then
      echo "registered with $(docker info --format '{{json .Runtimes.runsc.Args}}' 2>/dev/null || echo 'other arguments'), not $RUNSC_ARGS (bridge profiles get no network)"
      exit 1
    fi
    echo "not registered (runsc $(command -v runsc >/dev/null 2>&1 && echo installed || echo 'not installed'))"; exit 3 ;;
  remove)
    if runsc_registered; then
      edit_daemon_json remove
      reload_engine
      for _ in $(seq 1 40); do runsc_registered || break; sleep 0.25; done
    fi
    say "runsc unregistered (the package stays installed)"; exit 0 ;;
esac

case $FIREWALL in
  status)
    if [[ $(id -u) != 0 ]]; then echo "unknown (only root can read the firewall)"; exit 2; fi
    if firewall_in_place; then echo "in place ($FW_INPUT, $FW_FORWARD for $SANDBOX_BRIDGES)"; exit 0; fi
    echo "missing"; exit 1 ;;
  remove)
    firewall_remove; say "sandbox network firewall removed"; exit 0 ;;
esac

[[ $DO_ENGINE == 1 ]] && ensure_engine
if [[ $DO_ENGINE == 1 ]] && ! firewall_in_place; then
  if [[ $(id -u) != 0 ]] && ! sudo -n true 2>/dev/null; then
    say "warning: the sandbox network firewall needs root to check and install: run 'sudo agentkernel setup' once"
  else
    say "installing the sandbox network firewall ($FW_INPUT, $FW_FORWARD for $SANDBOX_BRIDGES)..."
    firewall_install || true
  fi
fi
if [[ $DO_IMAGES == 1 ]]; then
  engine_up || die "the Docker engine is not running (run without --images-only)"
  if ! image_present "$BUSYBOX_IMAGE" || ! image_present "$PYTHON_IMAGE"; then
    build_busybox
    build_python
    say "images ready: $BUSYBOX_IMAGE $PYTHON_IMAGE (the offline alternatives of busybox:1.36 and python:3.12-alpine)"
  fi
fi
