package dev.agentkernel.api;

import java.util.Objects;

/**
 * The outcome of a {@link RunRequest}.
 *
 * @param sandbox   the temporary sandbox's name (gone by the time this is returned)
 * @param image     the image actually used
 * @param imageNote why that image was chosen when it differs from the request or the detected one
 *                  (e.g. an offline fallback), or null
 * @param pooled    whether a warm pool sandbox served the run
 */
public record RunResult(String sandbox, String image, String imageNote, boolean pooled, ExecResult exec) {
    public RunResult {
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(exec, "exec");
    }
}
