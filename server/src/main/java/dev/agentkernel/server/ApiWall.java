package dev.agentkernel.server;

import dev.agentkernel.api.AgentKernelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The API wall at start-up: whoever can reach the port runs code on this host, so the server listens beyond
 * loopback only with an API key, or when the operator says, with {@link ServerOptions#insecureNoAuth()}, that
 * something else guards the port (then it says so loudly, at every start).
 */
public final class ApiWall {
    private static final Logger LOG = LoggerFactory.getLogger(ApiWall.class);
    /** The flag of {@code agentkernel serve} and the server's {@code Main} that lifts the wall. */
    public static final String INSECURE_FLAG = "--insecure-no-auth";

    private ApiWall() {
    }

    /**
     * Refuses options that would serve without a key beyond loopback, in one line with the fixes; answers whether
     * the options serve so by the operator's consent (the caller then warns, see {@link #warn}).
     */
    public static boolean check(ServerOptions options) {
        if (options.apiKey() != null || loopbackOnly(options.host())) {
            return false;
        }
        if (!options.insecureNoAuth()) {
            throw new AgentKernelException.InvalidRequestException("Refusing to listen on " + options.host()
                    + " without an API key: anyone who can reach it could run code on this host. Set "
                    + ServerOptions.API_KEY_ENV + ", or listen on 127.0.0.1, or pass " + INSECURE_FLAG
                    + " if something else guards the port");
        }
        return true;
    }

    /** Logs that the server listens beyond loopback without a key: at every start, at WARN. */
    static void warn(ServerOptions options) {
        LOG.warn("INSECURE: listening on {} WITHOUT an API key ({}): anyone who can reach this port can run code "
                + "on this host", options.host(), INSECURE_FLAG);
    }

    /** Whether every address {@code host} names is a loopback address (an unknown name is not). */
    static boolean loopbackOnly(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            InetAddress[] all = InetAddress.getAllByName(h);
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
