package dev.agentkernel.examples;

/**
 * The images the examples use. {@code python:3.12-alpine} is what a user would write; without a registry,
 * set {@code AGENTKERNEL_EXAMPLE_IMAGE=agentkernel/python:local} (built by {@code scripts/docker-bootstrap.sh}).
 */
final class Images {
    private Images() {
    }

    static String python() {
        String image = System.getenv("AGENTKERNEL_EXAMPLE_IMAGE");
        return image == null || image.isBlank() ? "python:3.12-alpine" : image;
    }
}
