package dev.agentkernel.docker;

/**
 * An image reference split for a pull: the engine pulls every tag of a repository when no tag is given,
 * so a reference without tag or digest means {@code latest}.
 */
record ImageReference(String repository, String tag) {
    static ImageReference parse(String image) {
        int at = image.indexOf('@');
        if (at >= 0) {
            return new ImageReference(image.substring(0, at), image.substring(at + 1));
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        if (colon > slash) {
            return new ImageReference(image.substring(0, colon), image.substring(colon + 1));
        }
        return new ImageReference(image, "latest");
    }
}
