package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The host's secret store: 0700 directory, 0600 files, keys only listed, a widened directory refused. */
class SecretStoreTest {
    @TempDir
    Path tmp;

    @Test
    void storesWithOwnerOnlyModesAndListsKeysOnly() throws Exception {
        SecretStore store = new SecretStore(tmp.resolve("state").resolve("secrets"));
        store.set("TOKEN", "v1".getBytes(StandardCharsets.UTF_8));
        store.set("TOKEN", "v2".getBytes(StandardCharsets.UTF_8));
        store.set("OTHER", new byte[0]);
        Path dir = store.directory();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("TOKEN")))).isEqualTo("rw-------");
        assertThat(new String(store.read("TOKEN"), StandardCharsets.UTF_8)).isEqualTo("v2");
        assertThat(store.keys()).containsExactly("OTHER", "TOKEN");
        store.remove("OTHER");
        assertThat(store.keys()).containsExactly("TOKEN");
        assertThatThrownBy(() -> store.remove("OTHER")).isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThatThrownBy(() -> store.read("NONE")).isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThatThrownBy(() -> store.set("../x", new byte[1])).isInstanceOf(AgentKernelException.InvalidRequestException.class);
        assertThatThrownBy(() -> store.set("BIG", new byte[SecretStore.MAX_BYTES + 1]))
                .isInstanceOf(AgentKernelException.TooLargeException.class);
    }

    @Test
    void aDirectoryOthersMayEnterIsRefused() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("secrets"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        SecretStore store = new SecretStore(dir);
        assertThatThrownBy(() -> store.set("TOKEN", "v".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AgentKernelException.class).hasMessageContaining("0700");
        assertThat(dir.resolve("TOKEN")).doesNotExist();
    }
}
