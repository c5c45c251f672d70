package dev.agentkernel.security;

/** The kinds of bad input of docs/security.md; the summary has one row per kind. */
enum Kind {
    AUTH("auth"),
    VALIDATION("validation"),
    PATHS("paths"),
    SANDBOX("inside the sandbox"),
    CHANNEL("the agent channel"),
    PRESSURE("API pressure"),
    RACES("races"),
    STALLED("stalled agent"),
    CRASHES("crashes and faults");

    final String label;

    Kind(String label) {
        this.label = label;
    }
}
