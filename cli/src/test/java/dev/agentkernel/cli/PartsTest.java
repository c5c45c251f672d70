package dev.agentkernel.cli;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.cli.commands.CpCommandAccess;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The small pieces: exit-code table, durations, profiles, batch parsing, live output decoding, cp paths. */
class PartsTest {

    @Test
    void everyErrorCodeHasADistinctDocumentedExitCode() {
        assertThat(ExitCodes.table()).containsOnlyKeys(ErrorCode.values());
        assertThat(ExitCodes.of(ErrorCode.INVALID_REQUEST)).isEqualTo(2);
        assertThat(ExitCodes.of(ErrorCode.NOT_FOUND)).isEqualTo(3);
        assertThat(ExitCodes.of(ErrorCode.CONFLICT)).isEqualTo(4);
        assertThat(ExitCodes.of(ErrorCode.BACKEND_UNAVAILABLE)).isEqualTo(8);
        assertThat(ExitCodes.of(ErrorCode.TIMEOUT)).isEqualTo(124);
        assertThat(Arrays.stream(ErrorCode.values()).filter(c -> c != ErrorCode.FORBIDDEN).map(ExitCodes::of).distinct())
                .hasSize(ErrorCode.values().length - 1);
    }

    @Test
    void durations() {
        DurationConverter c = new DurationConverter();
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.convert("30")).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.convert("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.convert("2h")).isEqualTo(Duration.ofHours(2));
        assertThatThrownBy(() -> c.convert("0s")).isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> c.convert("-1s")).isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> c.convert("1d")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Test
    void noNetworkSelectsRestrictiveAndRefusesANetworkedProfile() {
        assertThat(Profiles.choose(null, false)).isNull();
        assertThat(Profiles.choose("permissive", false)).isEqualTo(SecurityProfile.PERMISSIVE);
        assertThat(Profiles.choose(null, true)).isEqualTo(SecurityProfile.RESTRICTIVE);
        assertThat(Profiles.choose("restrictive", true)).isEqualTo(SecurityProfile.RESTRICTIVE);
        assertThat(SecurityProfile.RESTRICTIVE.network()).isEqualTo(SecurityProfile.Network.NONE);
        assertThatThrownBy(() -> Profiles.choose("moderate", true))
                .isInstanceOfSatisfying(AgentKernelException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST))
                .hasMessageContaining("--no-network");
        assertThatThrownBy(() -> Profiles.choose("paranoid", false)).hasMessageContaining("must be one of");
    }

    @Test
    void batchTextLinesAreSplitLikeAShell() {
        assertThat(BatchFile.words("python3 -c 'print(2+2)'")).containsExactly("python3", "-c", "print(2+2)");
        assertThat(BatchFile.words("echo \"a \\\"b\\\"\" c\\ d '' x")).containsExactly("echo", "a \"b\"", "c d", "", "x");
        assertThatThrownBy(() -> BatchFile.words("echo 'open")).hasMessageContaining("unclosed");
        assertThat(BatchFile.shellJoin(List.of("python3", "-c", "print(2+2)", "", "x=1"))).isEqualTo("python3 -c 'print(2+2)' '' x=1");
        List<String> argv = List.of("sh", "-c", "echo \"it's\" $HOME", "a b");
        assertThat(BatchFile.words(BatchFile.shellJoin(argv))).isEqualTo(argv);

        List<RunRequest> rs = BatchFile.parse("# jobs\necho hello\n\n  python3 -c \"print(2+2)\"\n", false);
        assertThat(rs).extracting(RunRequest::command)
                .containsExactly(List.of("echo", "hello"), List.of("python3", "-c", "print(2+2)"));
        assertThat(rs).allMatch(r -> !r.fast());
        assertThatThrownBy(() -> BatchFile.parse("# nothing\n", true)).hasMessageContaining("no commands");
    }

    @Test
    void batchJsonTakesTheApiBodyOrAnArray() {
        List<RunRequest> api = BatchFile.parse("{\"commands\":[{\"command\":[\"echo\",\"hi\"],\"profile\":\"restrictive\","
                + "\"timeout_ms\":1500,\"env\":{\"A\":\"1\"}},{\"command\":[\"true\"],\"image\":\"agentkernel/busybox:local\"}]}",
                true);
        assertThat(api).hasSize(2);
        assertThat(api.get(0).profile()).isEqualTo(SecurityProfile.RESTRICTIVE);
        assertThat(api.get(0).timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(api.get(0).env()).isEqualTo(Map.of("A", "1"));
        assertThat(api.get(1).image()).isEqualTo("agentkernel/busybox:local");
        assertThat(BatchFile.parse("[[\"echo\",\"a\"],{\"command\":[\"echo\",\"b\"]}]", true))
                .extracting(RunRequest::command).containsExactly(List.of("echo", "a"), List.of("echo", "b"));
        assertThatThrownBy(() -> BatchFile.parse("{\"commands\":[{\"command\":[1]}]}", true))
                .hasMessageContaining("commands[0].command");
        assertThatThrownBy(() -> BatchFile.parse("{\"commands\":", true)).hasMessageContaining("not valid JSON");
    }

    @Test
    void liveOutputKeepsStreamsApartAndUtf8SequencesWhole() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(CommandLine.Model.CommandSpec.create());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        LiveOutput live = new LiveOutput(new Console(cl, false));
        byte[] euro = "€uro\n".getBytes(StandardCharsets.UTF_8);
        live.onOutput(new OutputChunk(OutputChunk.Stream.STDOUT, Arrays.copyOfRange(euro, 0, 2)));
        assertThat(out.toString()).isEmpty();
        live.onOutput(new OutputChunk(OutputChunk.Stream.STDERR, "oops\n".getBytes(StandardCharsets.UTF_8)));
        live.onOutput(new OutputChunk(OutputChunk.Stream.STDOUT, Arrays.copyOfRange(euro, 2, euro.length)));
        live.onOutput(new OutputChunk(OutputChunk.Stream.STDOUT, new byte[] {(byte) 0xE2}));
        live.finish();
        assertThat(out.toString()).isEqualTo("€uro\n\uFFFD");
        assertThat(err.toString()).isEqualTo("oops\n");
    }

    @Test
    void cpTellsSandboxPathsFromLocalOnes() {
        assertThat(CpCommandAccess.remote("dev:/tmp/x")).isEqualTo(List.of("dev", "/tmp/x", "false"));
        assertThat(CpCommandAccess.remote("dev:/tmp/")).isEqualTo(List.of("dev", "/tmp/", "true"));
        assertThat(CpCommandAccess.remote("./dev:/tmp")).isNull();
        assertThat(CpCommandAccess.remote("/abs/a:b")).isNull();
        assertThat(CpCommandAccess.remote("plain.txt")).isNull();
    }
}
