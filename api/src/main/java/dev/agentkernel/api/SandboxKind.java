package dev.agentkernel.api;

import java.util.Locale;

/**
 * Why a sandbox exists. Named sandboxes belong to the user and survive restarts (they are adopted);
 * run and pool sandboxes belong to the process that made them and are reaped when it is gone.
 */
public enum SandboxKind {
    NAMED,
    RUN,
    POOL;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SandboxKind fromWire(String value) {
        for (SandboxKind k : values()) {
            if (k.wireName().equals(value)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown sandbox kind: " + value);
    }
}
