package dev.agentkernel.core;

import dev.agentkernel.api.Validation;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every wire name maps onto a name and a label value a Kubernetes API server accepts, without collisions. */
class ResourceNamesTest {
    /** The API server's own rules (k8s.io/apimachinery validation), written out independently of the code. */
    static final Pattern DNS_1123_LABEL = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    static final Pattern LABEL_VALUE = Pattern.compile("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$");

    static boolean validName(String s) {
        return s.length() <= 63 && DNS_1123_LABEL.matcher(s).matches();
    }

    static boolean validLabelValue(String s) {
        return s.length() <= 63 && LABEL_VALUE.matcher(s).matches();
    }

    @Test
    void validNamesStayAsTheyAre() {
        for (String name : List.of("box", "run-0a1b2c3d4e5f", "a", "x".repeat(63), "my-sandbox-2")) {
            assertThat(ResourceNames.dnsLabel(name)).isEqualTo(name);
            assertThat(ResourceNames.labelValue(name)).isEqualTo(name);
        }
        assertThat(ResourceNames.labelValue("My_Box.1")).as("a valid label value").isEqualTo("My_Box.1");
    }

    @Test
    void namesTheWireAllowsAreMappedOntoValidOnesWithAHash() {
        String upper = ResourceNames.dnsLabel("MyBox");
        assertThat(upper).matches("mybox--[0-9a-f]{8}").satisfies(s -> assertThat(validName(s)).isTrue());
        assertThat(ResourceNames.dnsLabel("my_box.v2")).matches("my-box-v2--[0-9a-f]{8}");
        assertThat(ResourceNames.dnsLabel("MyBox")).as("deterministic").isEqualTo(upper);
        assertThat(ResourceNames.dnsLabel("mybox")).as("no collision with the lower-case name").isNotEqualTo(upper);
        String looksMapped = "mybox--" + upper.substring(upper.length() - 8);
        assertThat(ResourceNames.dnsLabel(looksMapped)).as("an input that looks mapped is mapped again")
                .isNotEqualTo(looksMapped).isNotEqualTo(upper);
        String longest = "A".repeat(63);
        assertThat(ResourceNames.dnsLabel(longest)).hasSizeLessThanOrEqualTo(63);
        assertThat(ResourceNames.dnsLabel("box", 20)).isEqualTo("box");
        assertThat(ResourceNames.dnsLabel("B".repeat(40), 20)).hasSize(20).matches("b{10}--[0-9a-f]{8}");
        assertThat(ResourceNames.dnsLabel("_")).matches("[0-9a-f]{8}");
        assertThatThrownBy(() -> ResourceNames.dnsLabel("x", 5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyNameTheWireAcceptsMapsOntoADistinctValidNameAndLabelValue() {
        Random random = new Random(42);
        String alphabet = "ABCXYZabcxyz0189_.-";
        Set<String> names = new HashSet<>();
        Set<String> mapped = new HashSet<>();
        Set<String> values = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder().append(alphabet.charAt(random.nextInt(12)));
            int len = random.nextInt(63);
            for (int j = 0; j < len; j++) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String name = b.toString();
            try {
                Validation.sandboxName(name);
            } catch (RuntimeException notAWireName) {
                continue;
            }
            if (!names.add(name)) {
                continue;
            }
            String n = ResourceNames.dnsLabel(name);
            String v = ResourceNames.labelValue(name);
            assertThat(validName(n)).as("%s -> %s", name, n).isTrue();
            assertThat(validLabelValue(v)).as("%s -> %s", name, v).isTrue();
            assertThat(mapped.add(n)).as("collision of %s", name).isTrue();
            assertThat(values.add(v)).as("collision of %s", name).isTrue();
        }
        assertThat(names).hasSizeGreaterThan(10_000);
    }

    @Test
    void valuesThatAreNoLabelValuesGetAValidEncoding() {
        for (String value : List.of("host.example/1234/abcd", "2026-01-02T03:04:05.678Z", "a b", "-x-", "é",
                "x".repeat(100), "")) {
            String v = ResourceNames.labelValue(value);
            assertThat(validLabelValue(v)).as("%s -> %s", value, v).isTrue();
        }
        assertThat(ResourceNames.labelValue("host.example/1234/abcd")).startsWith("host.example_1234_abcd--");
        Instant t = Instant.parse("2026-01-02T03:04:05.678Z");
        assertThat(ResourceNames.labelValue(t)).isEqualTo("1767323045678");
        assertThat(ResourceNames.instantOfLabelValue(ResourceNames.labelValue(t))).isEqualTo(t);
    }
}
