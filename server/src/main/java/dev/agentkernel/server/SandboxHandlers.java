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
        calls.respond(ctx, 200, () -> Wire.array(kernel.list(), Wire::sandbox));
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

    // ---- upstream 0.18: identity, TTL, bulk files, detached commands ----

    void getByUuid(RoutingContext ctx) {
        String uuid = Validation.uuid(ctx.pathParam("uuid"));
        calls.respond(ctx, 200, () -> Wire.sandbox(kernel.getByUuid(uuid)));
    }

    /** {@code {"expires_at": "..."}}. */
    void extend(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> {
            java.time.Instant at = kernel.extend(name, Requests.extendBy(Calls.body(ctx)));
            return Wire.object(java.util.Map.of("expires_at", at.toString()));
        });
    }

    /** {@code {"written": N}} (a number: upstream's string breaks its own Python and Rust SDKs). */
    void writeFiles(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> Wire.object(java.util.Map.of("written",
                kernel.writeFiles(name, Requests.files(Calls.body(ctx))))));
    }

    void execDetached(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> Wire.detached(kernel.execDetached(name, Requests.exec(Calls.body(ctx)))));
    }

    void detachedList(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> Wire.array(kernel.detachedList(name), Wire::detached));
    }

    void detachedStatus(RoutingContext ctx) {
        String name = name(ctx);
        String id = Validation.detachedId(ctx.pathParam("id"));
        calls.respond(ctx, 200, () -> Wire.detached(kernel.detachedStatus(name, id)));
    }

    /** {@code {"stdout": "..."}} or, with {@code ?stream=stderr}, {@code {"stderr": "..."}}: one key, as upstream. */
    void detachedLogs(RoutingContext ctx) {
        String name = name(ctx);
        String id = Validation.detachedId(ctx.pathParam("id"));
        dev.agentkernel.api.DetachedCommand.Stream stream = Requests.stream(ctx.request().getParam("stream"));
        calls.respond(ctx, 200, () -> Wire.object(java.util.Map.of(stream.wireName(),
                kernel.detachedLogs(name, id, stream))));
    }

    /** {@code "Command killed"}, as upstream (every SDK needs a non-null {@code data}). */
    void detachedKill(RoutingContext ctx) {
        String name = name(ctx);
        String id = Validation.detachedId(ctx.pathParam("id"));
        calls.respond(ctx, 200, () -> {
            kernel.detachedKill(name, id);
            return Wire.text("Command killed");
        });
    }

    private static String name(RoutingContext ctx) {
        return Validation.sandboxName(ctx.pathParam("name"));
    }

    /** The {@code {path}} of the route ({@link ApiRoute#vertxPath} makes it the wildcard), checked and normalised. */
    private static String filePath(RoutingContext ctx) {
        return Validation.sandboxPath(RequestChecks.filePath(ctx.pathParam("*")));
    }
}
