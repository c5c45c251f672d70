package dev.agentkernel.docker;

import java.util.List;

/**
 * The in-sandbox command that kills one exec's whole process tree. The Docker API cannot kill an exec, so a
 * second exec does it from inside, as the same user (it needs no capability: a process may signal its own
 * uid's processes).
 *
 * <p>How the tree is found: every exec runs as a new session (runc calls setsid), and the command wrapper
 * reports that session's id (its own pid) before it execs the command. Every descendant stays in that session
 * unless it calls setsid itself; those are found by the marker variable every exec carries in its environment
 * ({@value #MARKER_VAR}). A descendant that both leaves the session and clears its environment escapes; it
 * still dies with the sandbox.
 *
 * <p>The session sweep uses shell builtins only (glob, read, kill): no fork, so it works while a fork bomb
 * holds every pid the sandbox may have. Members are stopped first (a stopped process cannot fork), then
 * killed, and the sweep repeats until nothing of the session is left.
 */
final class ProcessTreeKiller {
    static final String MARKER_VAR = "AGENTKERNEL_EXEC_ID";

    private static final String SCRIPT = String.join("\n",
            "s=$1; m=$2",
            // sweep SIG SKIPSTATE: signal every live member of session $s (or marked process) not in SKIPSTATE
            "sweep() {",
            "  sig=$1; skip=$2; found=0",
            "  for d in /proc/[0-9]*; do",
            "    p=${d#/proc/}",
            "    [ \"$p\" = \"$$\" ] && continue",
            "    read -r st 2>/dev/null < \"$d/stat\" || continue",
            "    set -f; set -- ${st##*\") \"}; set +f",
            "    [ \"$1\" = Z ] && continue",
            "    [ \"$1\" = \"$skip\" ] && continue",
            "    case \" $marked \" in *\" $p \"*) ;; *) [ -n \"$s\" ] && [ \"$4\" = \"$s\" ] || continue;; esac",
            "    kill -$sig \"$p\" 2>/dev/null && found=$((found+1))",
            "  done",
            "}",
            // processes carrying the marker (best effort: needs a fork for grep; fine when pids are free)
            "marked=",
            "if [ -n \"$m\" ]; then",
            "  for f in $(grep -lszF -- \"" + MARKER_VAR + "=$m\" /proc/[0-9]*/environ 2>/dev/null); do",
            "    f=${f#/proc/}; marked=\"$marked ${f%/environ}\"",
            "  done",
            "fi",
            "i=0; while [ $i -lt 50 ]; do sweep STOP T; [ $found = 0 ] && break; i=$((i+1)); done",
            "i=0; while [ $i -lt 100 ]; do sweep KILL none; [ $found = 0 ] && exit 0; i=$((i+1)); done",
            "exit 1");

    private ProcessTreeKiller() {
    }

    /** @param session the exec's session id as the wrapper reported it, or null if unknown */
    static List<String> command(String session, String marker) {
        return List.of("/bin/sh", "-c", SCRIPT, "agentkernel-kill", session == null ? "" : session, marker);
    }
}
