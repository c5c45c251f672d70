package dev.agentkernel.server;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.Validation;
import io.vertx.ext.web.RoutingContext;

/** Named sandboxes: list, create, get, stop, start, remove, their files and their audit log. */
final class SandboxHandlers {
    private final AgentKernel kernel;
    private final Calls calls;

    SandboxHandlers(AgentKernel kernel, Calls calls) {
        this.kernel = kernel;
        this.calls = calls;
    }

    void list(RoutingContext ctx) {
        calls.respond(ctx, 200, () -> Wire.sandboxes(kernel.list()));
    }

    /** 201 with exactly {@code name}, {@code status}, {@code backend}, as the seed shows. */
    void create(RoutingContext ctx) {
        calls.respond(ctx, 201, () -> {
            JsonRequest body = Calls.body(ctx);
            return Wire.sandboxSummary(kernel.create(Requests.create(body), Requests.createOptions(body)));
        });
    }

    void get(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> Wire.sandbox(kernel.get(name)));
    }

    void stop(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> Wire.sandbox(kernel.stop(name)));
    }

    void start(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> Wire.sandbox(kernel.start(name)));
    }

    void remove(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> {
            kernel.remove(name);
            return Wire.text("Removed sandbox " + name);
        });
    }

    void readFile(RoutingContext ctx) {
        String name = name(ctx);
        String path = filePath(ctx);
        calls.respond(ctx, 200, () -> Wire.file(kernel.readFile(name, path)));
    }

    /** {@code "Wrote 11 bytes to /tmp/hello.txt"}. */
    void writeFile(RoutingContext ctx) {
        String name = name(ctx);
        String path = filePath(ctx);
        calls.respond(ctx, 200, () -> {
            byte[] content = Requests.fileContent(Calls.body(ctx));
            FileContent written = kernel.writeFile(name, path, content);
            return Wire.text("Wrote " + content.length + " bytes to " + written.path());
        });
    }

    /** {@code "Deleted /tmp/hello.txt"}. */
    void deleteFile(RoutingContext ctx) {
        String name = name(ctx);
        String path = filePath(ctx);
        calls.respond(ctx, 200, () -> Wire.text("Deleted " + kernel.deleteFile(name, path)));
    }

    void logs(RoutingContext ctx) {
        String name = name(ctx);
        LogQuery query = Requests.logQuery(ctx.request().getParam("since"), ctx.request().getParam("limit"));
        calls.respond(ctx, 200, () -> Wire.auditEvents(kernel.logs(name, query)));
    }

    private static String name(RoutingContext ctx) {
        return Validation.sandboxName(ctx.pathParam("name"));
    }

    /** The {@code {path}} of the route ({@link ApiRoute#vertxPath} makes it the wildcard), checked and normalised. */
    private static String filePath(RoutingContext ctx) {
        return Validation.sandboxPath(RequestChecks.filePath(ctx.pathParam("*")));
    }
}
