package dev.agentkernel.docker;

import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ulimit;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DiskQuotaTest {
    @Test
    void theEngineCapsTheWritableLayerOnlyOnStorageThatCan() {
        assertThat(DiskQuota.canCapSize("overlay2", "xfs")).isTrue();
        assertThat(DiskQuota.canCapSize("overlay2", "extfs")).as("this machine: overlay2 on ext4").isFalse();
        assertThat(DiskQuota.canCapSize("btrfs", null)).isTrue();
        assertThat(DiskQuota.canCapSize("vfs", null)).isFalse();
    }

    @Test
    void everyFileIsCappedAtTheQuotaAndWithoutCapableStorageNoSizeOptionIsSent() {
        // No engine to ask (null client): the storage counts as unable, as on ext4.
        DiskQuota q = new DiskQuota(null, "i", 64, 1000, id -> { });
        HostConfig hc = HostConfig.newHostConfig();
        q.apply(hc, SecurityProfile.MODERATE);
        Ulimit fsize = hc.getUlimits()[0];
        assertThat(fsize.getName()).isEqualTo("fsize");
        assertThat(fsize.getHardLong()).isEqualTo(64L * 1024 * 1024);
        assertThat(hc.getStorageOpt()).isNull();
        assertThat(q.describe()).contains("64 MiB by the watch", "1000 inodes");
    }
}
