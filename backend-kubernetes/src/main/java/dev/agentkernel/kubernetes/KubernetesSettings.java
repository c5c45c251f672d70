package dev.agentkernel.kubernetes;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SecurityProfile;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code [kubernetes]} configuration section, read from the backend properties ({@code kubernetes.*}, see
 * {@code ConfigLoader}) and checked: an unknown key or a bad value is an invalid request naming it.
 *
 * <pre>
 * [kubernetes]
 * namespace = "agentkernel"            # where sandboxes live (default: the kubeconfig's, or the server's own pod's)
 * kubeconfig = "~/.kube/config"        # default: $KUBECONFIG, ~/.kube/config, else in-cluster
 * context = "kind-kind"                # default: the kubeconfig's current context
 * exec = "auto"                        # auto | agent | pod-exec
 * image_pull_policy = "IfNotPresent"   # IfNotPresent | Always | Never
 * image_pull_secrets = ["regcred"]
 * tolerations = ["sandbox=true:NoSchedule", "dedicated:NoExecute"]
 * storage_class = "standard"           # named sandboxes' workspace claims (default: the cluster's default class)
 * workspace_size = "1Gi"
 * ready_timeout_ms = 120000            # how long a new pod may take to be Ready
 * egress_deny_cidrs = ["10.0.0.0/8", ...]   # what sandboxes with network may not reach (default: private ranges)
 * [kubernetes.runtime_class]           # per profile, e.g. gVisor or Kata for the restrictive one
 * restrictive = "gvisor"
 * [kubernetes.node_selector]
 * "agentkernel.dev/sandboxes" = "true"
 * [kubernetes.labels]                  # added to every sandbox pod
 * [kubernetes.annotations]
 * </pre>
 */
record KubernetesSettings(String namespace, String kubeconfig, String context, ExecMode exec, String imagePullPolicy,
                          List<String> imagePullSecrets, List<Toleration> tolerations, String storageClass,
                          Quantity workspaceSize, Duration readyTimeout, List<String> egressDenyCidrs,
                          Map<SecurityProfile, String> runtimeClasses, Map<String, String> nodeSelector,
                          Map<String, String> labels, Map<String, String> annotations) {
    static final String PREFIX = "kubernetes.";
    /**
     * Private, shared, link-local (the cloud metadata address) and loopback ranges: cluster-internal addresses in
     * every common setup (pod and service CIDRs are private), so sandboxes with network reach only the internet.
     */
    static final List<String> DEFAULT_EGRESS_DENY = List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
            "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8");
    private static final Set<String> KEYS = Set.of("namespace", "kubeconfig", "context", "exec", "image_pull_policy",
            "image_pull_secrets", "tolerations", "storage_class", "workspace_size", "ready_timeout_ms",
            "egress_deny_cidrs");
    private static final Set<String> MAPS = Set.of("runtime_class", "node_selector", "labels", "annotations");
    private static final Pattern TOLERATION = Pattern.compile("([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)");
    private static final Pattern DNS_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

    /** How commands reach sandboxes. */
    enum ExecMode {
        /** The agent when it can be delivered and answers, else pod exec. */
        AUTO,
        /** The agent or a clear error. */
        AGENT,
        /** Always pod exec (the image needs {@code sh}). */
        POD_EXEC;

        String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    KubernetesSettings {
        imagePullSecrets = List.copyOf(imagePullSecrets);
        tolerations = List.copyOf(tolerations);
        egressDenyCidrs = List.copyOf(egressDenyCidrs);
        runtimeClasses = Map.copyOf(runtimeClasses);
        nodeSelector = Map.copyOf(nodeSelector);
        labels = Map.copyOf(labels);
        annotations = Map.copyOf(annotations);
    }

    static KubernetesSettings from(Map<String, String> properties) {
        String namespace = null;
        String kubeconfig = null;
        String context = null;
        ExecMode exec = ExecMode.AUTO;
        String pullPolicy = "IfNotPresent";
        List<String> pullSecrets = List.of();
        List<Toleration> tolerations = List.of();
        String storageClass = null;
        Quantity workspaceSize = new Quantity("1Gi");
        Duration readyTimeout = Duration.ofMinutes(2);
        List<String> egressDeny = DEFAULT_EGRESS_DENY;
        Map<SecurityProfile, String> runtimeClasses = new EnumMap<>(SecurityProfile.class);
        Map<String, Map<String, String>> maps = new LinkedHashMap<>();
        MAPS.forEach(m -> maps.put(m, new LinkedHashMap<>()));
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (!e.getKey().startsWith(PREFIX)) {
                continue;
            }
            String key = e.getKey().substring(PREFIX.length());
            String value = e.getValue().trim();
            int dot = key.indexOf('.');
            if (dot > 0 && MAPS.contains(key.substring(0, dot))) {
                maps.get(key.substring(0, dot)).put(key.substring(dot + 1), value);
                continue;
            }
            if (!KEYS.contains(key)) {
                throw invalid(key, "unknown key; the keys are " + new java.util.TreeSet<>(KEYS) + " and the tables "
                        + new java.util.TreeSet<>(MAPS));
            }
            switch (key) {
                case "namespace" -> namespace = dnsName(key, value);
                case "kubeconfig" -> kubeconfig = nonEmpty(key, value);
                case "context" -> context = nonEmpty(key, value);
                case "exec" -> exec = execMode(value);
                case "image_pull_policy" -> pullPolicy = oneOf(key, value, List.of("IfNotPresent", "Always", "Never"));
                case "image_pull_secrets" -> pullSecrets = list(value).stream().map(v -> dnsName(key, v)).toList();
                case "tolerations" -> tolerations = list(value).stream().map(KubernetesSettings::toleration).toList();
                case "storage_class" -> storageClass = dnsName(key, value);
                case "workspace_size" -> workspaceSize = quantity(key, value);
                case "ready_timeout_ms" -> readyTimeout = Duration.ofMillis(positive(key, value));
                case "egress_deny_cidrs" -> egressDeny = list(value);
                default -> throw new IllegalStateException(key);
            }
        }
        for (Map.Entry<String, String> e : maps.get("runtime_class").entrySet()) {
            SecurityProfile p;
            try {
                p = SecurityProfile.fromWire(e.getKey());
            } catch (AgentKernelException x) {
                throw invalid("runtime_class." + e.getKey(), "not a profile (permissive, moderate, restrictive)");
            }
            runtimeClasses.put(p, dnsName("runtime_class." + e.getKey(), e.getValue()));
        }
        return new KubernetesSettings(namespace, kubeconfig, context, exec, pullPolicy, pullSecrets, tolerations,
                storageClass, workspaceSize, readyTimeout, egressDeny, runtimeClasses, maps.get("node_selector"),
                maps.get("labels"), maps.get("annotations"));
    }

    static ExecMode execMode(String value) {
        for (ExecMode m : ExecMode.values()) {
            if (m.wireName().equals(value.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw invalid("exec", "must be one of auto, agent, pod-exec");
    }

    private static Toleration toleration(String spec) {
        Matcher m = TOLERATION.matcher(spec.trim());
        if (!m.matches()) {
            throw invalid("tolerations", "'" + spec + "' is not key[=value]:NoSchedule|PreferNoSchedule|NoExecute");
        }
        TolerationBuilder b = new TolerationBuilder().withKey(m.group(1)).withEffect(m.group(3));
        return (m.group(2) == null ? b.withOperator("Exists") : b.withOperator("Equal").withValue(m.group(2))).build();
    }

    private static List<String> list(String value) {
        List<String> out = new ArrayList<>();
        for (String s : value.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    private static String dnsName(String key, String value) {
        if (value.length() > 253 || !DNS_NAME.matcher(value).matches()) {
            throw invalid(key, "'" + value + "' is not a Kubernetes name (lower case, digits, '-' and '.')");
        }
        return value;
    }

    private static String nonEmpty(String key, String value) {
        if (value.isEmpty()) {
            throw invalid(key, "must not be empty");
        }
        return value;
    }

    private static String oneOf(String key, String value, List<String> allowed) {
        if (!allowed.contains(value)) {
            throw invalid(key, "must be one of " + String.join(", ", allowed));
        }
        return value;
    }

    private static Quantity quantity(String key, String value) {
        try {
            Quantity q = new Quantity(value);
            if (Quantity.getAmountInBytes(q).signum() <= 0) {
                throw invalid(key, "must be positive");
            }
            return q;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw invalid(key, "'" + value + "' is not a quantity such as 1Gi");
        }
    }

    private static long positive(String key, String value) {
        try {
            long n = Long.parseLong(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // falls through to the error
        }
        throw invalid(key, "must be a positive integer");
    }

    private static AgentKernelException.InvalidRequestException invalid(String key, String rule) {
        return new AgentKernelException.InvalidRequestException("Invalid config value for 'kubernetes." + key + "': "
                + rule);
    }
}
