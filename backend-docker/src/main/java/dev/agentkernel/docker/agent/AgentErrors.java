package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;

/** Turns the agent's errno for a file operation into the error a caller can act on. */
final class AgentErrors {
    private AgentErrors() {
    }

    static AgentKernelException forFile(AgentProtocol.Error error, String op, String path, String sandbox) {
        if (error.stage() != AgentProtocol.STAGE_FILE) {
            return new AgentKernelException.BackendUnavailableException("sandbox agent refused the file " + op
                    + " request: " + error.message(), null);
        }
        String where = "'" + path + "' in sandbox '" + sandbox + "'";
        return switch (error.errno()) {
            case AgentProtocol.ENOENT, AgentProtocol.ENOTDIR ->
                    new AgentKernelException.NotFoundException("File " + where + " not found");
            case AgentProtocol.EISDIR -> new AgentKernelException.InvalidRequestException("Cannot " + op + " " + where
                    + ": it is a directory");
            case AgentProtocol.EINVAL -> new AgentKernelException.InvalidRequestException("Cannot " + op + " " + where
                    + ": not a regular file");
            case AgentProtocol.ELOOP, AgentProtocol.EXDEV -> new AgentKernelException.InvalidRequestException("Cannot "
                    + op + " " + where + ": a symbolic link on the path is not followed (it is the file itself, or "
                    + "leads outside the directory holding it)");
            case AgentProtocol.ENAMETOOLONG -> new AgentKernelException.InvalidRequestException("Cannot " + op + " "
                    + where + ": name too long");
            case AgentProtocol.EFBIG -> new AgentKernelException.TooLargeException("File " + where
                    + " is larger than the limit");
            case AgentProtocol.EACCES, AgentProtocol.EPERM, AgentProtocol.EROFS -> new AgentKernelException(
                    ErrorCode.FORBIDDEN, "Cannot " + op + " " + where + ": " + reason(error));
            case AgentProtocol.ENOSPC, AgentProtocol.EDQUOT -> new AgentKernelException(ErrorCode.CONFLICT,
                    "Cannot " + op + " " + where + ": no space left");
            // A file that cannot be read or written as such (e.g. /proc/self/mem, a device without a driver) is a
            // property of the path the caller chose, not a fault of ours: a 400, never a 500.
            case AgentProtocol.EIO, AgentProtocol.ENXIO, AgentProtocol.ENODEV -> new AgentKernelException
                    .InvalidRequestException("Cannot " + op + " " + where + ": " + reason(error));
            default -> new AgentKernelException(ErrorCode.INTERNAL, "Cannot " + op + " " + where + ": " + reason(error));
        };
    }

    /** The strerror text the agent appended after "path: ". */
    private static String reason(AgentProtocol.Error error) {
        int colon = error.message().lastIndexOf(": ");
        return colon < 0 ? error.message() : error.message().substring(colon + 2);
    }
}
