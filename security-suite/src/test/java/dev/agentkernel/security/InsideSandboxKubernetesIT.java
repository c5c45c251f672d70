package dev.agentkernel.security;

/**
 * {@link InsideSandboxIT}'s cases, unchanged, on the Kubernetes backend: each sandbox a pod of the simulated
 * cluster, whose kubelet runs it as a real container on the local engine with the pod's security context, limits,
 * volumes and (for a no-network policy) no network. What this proves and what only a real cluster can: see
 * docs/kubernetes.md, "The security suite on Kubernetes".
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
