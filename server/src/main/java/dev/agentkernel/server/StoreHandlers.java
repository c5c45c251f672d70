package dev.agentkernel.server;

import dev.agentkernel.api.Validation;
import dev.agentkernel.core.AgentKernel;
import io.vertx.ext.web.RoutingContext;

/**
 * What outlives sandboxes: snapshots (upstream's routes and shapes), named volumes and the secret store (our
 * extensions, for the CLI's {@code --url} mode and for callers of the create options).
 */
final class StoreHandlers {
    private final AgentKernel kernel;
    private final Calls calls;

    StoreHandlers(AgentKernel kernel, Calls calls) {
        this.kernel = kernel;
        this.calls = calls;
    }

    void listSnapshots(RoutingContext ctx) {
        calls.respond(ctx, 200, () -> Wire.array(kernel.listSnapshots(), Wire::snapshot));
    }

    /** {@code {"sandbox": "...", "name"?: "..."}}: a missing name is generated, as every upstream SDK documents. */
    void takeSnapshot(RoutingContext ctx) {
        calls.respond(ctx, 201, () -> {
            JsonRequest body = Calls.body(ctx);
            String sandbox = body.requiredString("sandbox");
            return Wire.snapshot(kernel.takeSnapshot(sandbox, body.string("name")));
        });
    }

    void getSnapshot(RoutingContext ctx) {
        String name = Validation.snapshotName(ctx.pathParam("name"));
        calls.respond(ctx, 200, () -> Wire.snapshot(kernel.getSnapshot(name)));
    }

    void deleteSnapshot(RoutingContext ctx) {
        String name = Validation.snapshotName(ctx.pathParam("name"));
        calls.respond(ctx, 200, () -> {
            kernel.deleteSnapshot(name);
            return Wire.text("Snapshot deleted");
        });
    }

    /** Optional body {@code {"as_name": "..."}}; the SDKs send none. Answers the new sandbox, running. */
    void restoreSnapshot(RoutingContext ctx) {
        String name = Validation.snapshotName(ctx.pathParam("name"));
        calls.respond(ctx, 201, () -> {
            io.vertx.core.buffer.Buffer raw = ctx.body().buffer();
            String asName = raw == null || raw.length() == 0 ? null : Calls.body(ctx).string("as_name");
            return Wire.sandbox(kernel.restoreSnapshot(name, asName));
        });
    }

    void listVolumes(RoutingContext ctx) {
        calls.respond(ctx, 200, () -> Wire.array(kernel.listVolumes(), Wire::volume));
    }

    void createVolume(RoutingContext ctx) {
        calls.respond(ctx, 201, () -> Wire.volume(kernel.createVolume(Calls.body(ctx).requiredString("name"))));
    }

    void removeVolume(RoutingContext ctx) {
        String name = Validation.volumeName(ctx.pathParam("name"));
        calls.respond(ctx, 200, () -> {
            kernel.removeVolume(name);
            return Wire.text("Volume removed");
        });
    }

    void listSecrets(RoutingContext ctx) {
        calls.respond(ctx, 200, () -> Wire.array(kernel.listSecrets(), Wire::text));
    }

    /** {@code {"value": "..."}}; the answer never repeats the value. */
    void setSecret(RoutingContext ctx) {
        String key = Validation.secretKey(ctx.pathParam("key"));
        calls.respond(ctx, 200, () -> {
            kernel.setSecret(key, Calls.body(ctx).requiredString("value"));
            return Wire.text("Secret stored");
        });
    }

    void removeSecret(RoutingContext ctx) {
        String key = Validation.secretKey(ctx.pathParam("key"));
        calls.respond(ctx, 200, () -> {
            kernel.removeSecret(key);
            return Wire.text("Secret removed");
        });
    }
}
