package dev.agentkernel.kubernetes;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;

import java.util.List;

/**
 * The two NetworkPolicies of a sandbox namespace, made (or brought up to date) when the backend opens; pods are
 * selected by their {@code agentkernel.dev/network} label, so no policy is made per sandbox.
 *
 * <ul>
 *   <li>{@value #NO_NETWORK}: pods labelled {@code none} get no ingress and no egress at all.</li>
 *   <li>{@value #EGRESS}: pods labelled {@code egress} get no ingress (so no other pod, sandbox or not, reaches
 *   them) and egress to anywhere but the cluster-internal ranges ({@code egress_deny_cidrs}: private, shared,
 *   link-local and loopback by default, which covers pod and service networks and the cloud metadata address),
 *   plus DNS to the cluster's resolver in {@code kube-system}.</li>
 * </ul>
 * Enforced by the cluster's network plugin: one without NetworkPolicy support (e.g. flannel alone) ignores them.
 */
final class NetworkPolicies {
    static final String NO_NETWORK = "agentkernel-sandbox-no-network";
    static final String EGRESS = "agentkernel-sandbox-egress";

    private NetworkPolicies() {
    }

    static List<NetworkPolicy> of(List<String> denyCidrs) {
        NetworkPolicy none = new NetworkPolicyBuilder().withNewMetadata().withName(NO_NETWORK)
                .addToLabels(SandboxMeta.MANAGED, "policy").endMetadata()
                .withNewSpec().withNewPodSelector().addToMatchLabels(SandboxMeta.MANAGED, "true")
                .addToMatchLabels(SandboxMeta.NETWORK, "none").endPodSelector()
                .withPolicyTypes("Ingress", "Egress").endSpec().build();
        NetworkPolicy egress = new NetworkPolicyBuilder().withNewMetadata().withName(EGRESS)
                .addToLabels(SandboxMeta.MANAGED, "policy").endMetadata()
                .withNewSpec().withNewPodSelector().addToMatchLabels(SandboxMeta.MANAGED, "true")
                .addToMatchLabels(SandboxMeta.NETWORK, "egress").endPodSelector()
                .withPolicyTypes("Ingress", "Egress")
                .addNewEgress().withTo(new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr("0.0.0.0/0")
                        .withExcept(denyCidrs.stream().filter(c -> !c.contains(":")).toList()).endIpBlock().build(),
                        new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr("::/0")
                                .withExcept(List.of("fc00::/7", "fe80::/10", "::1/128")).endIpBlock().build())
                .endEgress()
                .addNewEgress().withTo(new NetworkPolicyPeerBuilder().withNewNamespaceSelector()
                        .addToMatchLabels("kubernetes.io/metadata.name", "kube-system").endNamespaceSelector()
                        .withNewPodSelector().addToMatchLabels("k8s-app", "kube-dns").endPodSelector().build())
                .addNewPort().withProtocol("UDP").withPort(new IntOrString(53)).endPort()
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(53)).endPort()
                .endEgress()
                .endSpec().build();
        return List.of(none, egress);
    }

    /** Creates or updates both; a refusal (RBAC) is returned as a reason, not thrown: health shows it. */
    static String ensure(KubernetesClient client, String namespace, List<String> denyCidrs) {
        try {
            for (NetworkPolicy p : of(denyCidrs)) {
                client.network().v1().networkPolicies().inNamespace(namespace).resource(p)
                        .createOr(NonDeletingOperation::update);
            }
            return null;
        } catch (KubernetesClientException e) {
            return "the sandbox NetworkPolicies could not be made: " + KubeErrors.message(e);
        }
    }
}
