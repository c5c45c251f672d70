package dev.agentkernel.security;

/**
 * {@link InsideSandboxIT}'s cases on the Kubernetes backend (only restrictive's inode fill differs: see
 * {@link #memoryTmpHasAnInodeCap}): each sandbox a pod of the simulated cluster, whose kubelet runs it as a real
 * container on the local engine with the pod's security context, limits, volumes and (for a no-network policy) no
 * network. What this proves and what only a real cluster can: see docs/kubernetes.md, "The seed, the security suite
 * and the front ends on the simulated cluster".
 */
class InsideSandboxKubernetesIT extends InsideSandboxIT {
    @Override
    protected SuiteServer server() {
        return SuiteServer.sharedKubernetes();
    }

    @Override
    protected boolean memoryTmpHasAnInodeCap() {
        return false;
    }
}
