package dev.agentkernel.docker.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** The one-file archive that fills the agent volume, checked with the system's tar. */
class AgentVolumeTest {
    @TempDir
    Path dir;

    @Test
    void tarHoldsTheExecutableWithItsMode() throws Exception {
        byte[] content = new byte[1000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) i;
        }
        Path archive = Files.write(dir.resolve("a.tar"), AgentVolume.tar("agentkernel-agent", content));
        assertThat(Files.size(archive) % 512).isZero();
        Path out = Files.createDirectories(dir.resolve("out"));
        Process tar = new ProcessBuilder("tar", "-xf", archive.toString(), "-C", out.toString())
                .redirectErrorStream(true).start();
        String log = new String(tar.getInputStream().readAllBytes());
        assertThat(tar.waitFor()).as(log).isZero();
        Path file = out.resolve("agentkernel-agent");
        assertThat(Files.readAllBytes(file)).isEqualTo(content);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rwxr-xr-x");
    }

    @Test
    void bundledBinaryIsStaticAndHashed() throws Exception {
        AgentBinary b = AgentBinary.bundled();
        assertThat(b.sha256()).hasSize(64);
        byte[] bytes = b.bytes();
        assertThat(bytes).startsWith(0x7f, 'E', 'L', 'F');
        // A static executable has no program interpreter (PT_INTERP): it needs no libc in the image.
        Path exe = b.writeTo(dir.resolve("agent"));
        Process file = new ProcessBuilder("sh", "-c", "LC_ALL=C readelf -l " + exe + " | grep -c INTERP || true")
                .redirectErrorStream(true).start();
        assertThat(new String(file.getInputStream().readAllBytes()).trim()).isEqualTo("0");
    }
}
