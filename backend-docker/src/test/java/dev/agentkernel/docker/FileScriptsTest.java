package dev.agentkernel.docker;

import dev.agentkernel.api.ErrorCode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The helpers' failures carry the codes the agent gives the same case ({@code AgentErrors}): what the contract test
 * cannot provoke on demand (a full disk, a read-only mount's message) is pinned here.
 */
class FileScriptsTest {
    private static ErrorCode code(int exit, String stderr) {
        return FileScripts.failure(exit, stderr, "box", "/tmp/f", "write").code();
    }

    @Test
    void systemReasonsMapAsTheAgentsErrnos() {
        assertThat(FileScripts.failure(0, "", "box", "/tmp/f", "write")).isNull();
        assertThat(code(49, "sh: can't create /tmp/.agentkernel-write-7: No space left on device\n"))
                .as("ENOSPC").isEqualTo(ErrorCode.CONFLICT);
        assertThat(code(49, "mv: can't rename: Disk quota exceeded")).as("EDQUOT").isEqualTo(ErrorCode.CONFLICT);
        assertThat(code(49, "mkdir: can't create directory '/etc/x': Read-only file system")).as("EROFS")
                .isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(code(49, "sh: can't create /root/.agentkernel-write-7: Permission denied")).as("EACCES")
                .isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(code(47, "")).as("unreadable").isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(code(49, "sh: can't create /tmp/x: File name too long")).as("ENAMETOOLONG")
                .isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void theHelpersOwnCodesMapAsTheAgentsErrnos() {
        assertThat(code(44, "")).as("ENOENT").isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(code(48, "")).as("ENOTDIR").isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(code(45, "")).as("EISDIR").isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(code(46, "")).as("EINVAL, not a regular file").isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(code(50, "")).as("ELOOP, a link as the last component").isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(code(51, "")).as("EXDEV, a parent link leading outside").isEqualTo(ErrorCode.INVALID_REQUEST);
    }
}
