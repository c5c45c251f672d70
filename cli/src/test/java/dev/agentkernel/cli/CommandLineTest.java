package dev.agentkernel.cli;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Help, usage errors and the error line, without any backend. */
class CommandLineTest {
    private final CliHarness cli = new CliHarness((connection, console) -> {
        throw new AgentKernelException(ErrorCode.BACKEND_UNAVAILABLE, "no engine in this test");
    });

    private static List<CommandLine> allSubcommands() {
        List<CommandLine> all = new ArrayList<>();
        collect(AgentKernelCli.create((c, k) -> null, java.util.Map.of()), all);
        return all;
    }

    private static void collect(CommandLine cl, List<CommandLine> into) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!into.contains(sub)) {
                into.add(sub);
                collect(sub, into);
            }
        }
    }

    @Test
    void topHelpListsEveryCommandAndTheExitStatusTable() {
        CliHarness.Result r = cli.run("--help");
        assertThat(r.exitCode()).isZero();
        for (String command : List.of("run", "create", "start", "stop", "rm", "exec", "ls", "info", "cp", "cat", "logs",
                "batch", "pool", "serve", "audit", "setup", "doctor", "version", "completion")) {
            assertThat(r.out()).as("help lists " + command).containsPattern("(?m)^  " + command + "\\b");
        }
        assertThat(r.out()).contains("Exit status:").contains("  3    not found").contains("  124  timed out");
        for (var e : ExitCodes.table().entrySet()) {
            assertThat(r.out()).as("footer documents " + e.getKey()).containsPattern("(?m)^  " + e.getValue() + " ");
        }
    }

    @Test
    void everySubcommandHasCompleteHelp() {
        List<CommandLine> subs = allSubcommands();
        assertThat(subs).hasSizeGreaterThanOrEqualTo(17);
        for (CommandLine sub : subs) {
            String name = sub.getCommandSpec().qualifiedName(" ").replaceFirst("^agentkernel ", "");
            if (name.equals("help")) {
                continue;
            }
            CliHarness.Result r = cli.run((name + " --help").split(" "));
            assertThat(r.exitCode()).as(name).isZero();
            assertThat(r.out()).as(name + " usage line").contains("Usage: agentkernel " + name);
            assertThat(sub.getCommandSpec().usageMessage().header()).as(name + " header").isNotEmpty();
            assertThat(r.out()).as(name + " documents -h").contains("--help");
            sub.getCommandSpec().options().forEach(o ->
                    assertThat(o.description()).as(name + " " + o.longestName() + " description").isNotEmpty());
            sub.getCommandSpec().positionalParameters().forEach(p ->
                    assertThat(p.description()).as(name + " " + p.paramLabel() + " description").isNotEmpty());
        }
    }

    @Test
    void noCommandIsAUsageError() {
        CliHarness.Result r = cli.run();
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).startsWith("error: a command is required").contains("Commands:");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void unknownOptionIsUsageErrorWithOneErrorLineAndAHint() {
        CliHarness.Result r = cli.run("ls", "--bogus");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().lines().toList()).first().asString().startsWith("error: Unknown option: '--bogus'");
        assertThat(r.err()).contains("Try 'agentkernel ls --help'");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void unknownCommandSuggestsTheNearestOne() {
        CliHarness.Result r = cli.run("exce", "x");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Did you mean").contains("exec");
    }

    @Test
    void runWithoutCommandIsAUsageError() {
        CliHarness.Result r = cli.run("run");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("error: Missing required parameter: 'CMD'");
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void serveBeyondLoopbackWithoutAKeyIsRefusedInOneLineBeforeAnythingStarts() {
        CliHarness.Result r = cli.run("serve", "--host", "0.0.0.0", "--port", "0");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: Refusing to listen on 0.0.0.0 without an API key")
                .contains("AGENTKERNEL_API_KEY", "--insecure-no-auth").endsWith("\n");
        assertThat(r.err().lines().count()).isEqualTo(1);
        assertThat(r.out()).doesNotContain("listening");
    }

    @Test
    void badDurationIsAUsageError() {
        CliHarness.Result r = cli.run("run", "--timeout", "soon", "--", "true");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("'soon' is not a duration");
    }

    @Test
    void backendErrorsAreOneLineWithTheirExitCodeAndDetailOnlyWithVerbose() {
        CliHarness.Result r = cli.run("ls");
        assertThat(r.exitCode()).isEqualTo(8);
        assertThat(r.err()).isEqualTo("error: no engine in this test\n");

        CliHarness.Result verbose = cli.run("ls", "-v");
        assertThat(verbose.exitCode()).isEqualTo(8);
        assertThat(verbose.err()).contains("error: no engine in this test").contains("kind: backend_unavailable");
        assertThat(verbose.err()).doesNotContain("\tat ");

        CliHarness.Result debug = cli.run("--debug", "ls");
        assertThat(debug.err()).contains("\tat ");
    }

    @Test
    void unexpectedFailuresNeverShowAStackTraceWithoutDebug() {
        CliHarness boom = new CliHarness((c, k) -> {
            throw new IllegalStateException("kaput");
        });
        CliHarness.Result r = boom.run("ls");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.INTERNAL);
        assertThat(r.err().lines().count()).isEqualTo(1);
        assertThat(r.err()).contains("error: internal error (IllegalStateException: kaput)").contains("--debug");
    }

    @Test
    void versionPrintsTheBuildVersion() {
        CliHarness.Result r = cli.run("version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("agentkernel " + VersionInfo.version()).contains("Java ");
        assertThat(VersionInfo.version()).isNotEqualTo("unknown").doesNotContain("${");

        CliHarness.Result json = cli.run("version", "--json");
        assertThat(json.out()).contains("\"version\" : \"" + VersionInfo.version() + "\"");
        assertThat(cli.run("--version").out()).startsWith("agentkernel " + VersionInfo.version());
    }

    @Test
    void completionScriptsCoverTheCommands() {
        CliHarness.Result bash = cli.run("completion");
        assertThat(bash.exitCode()).isZero();
        assertThat(bash.out()).contains("complete -F").contains("_picocli_agentkernel").contains("run").contains("exec");
        CliHarness.Result zsh = cli.run("completion", "zsh");
        assertThat(zsh.out()).startsWith("autoload -U +X compinit").contains("bashcompinit").contains("complete -F");
        assertThat(cli.run("completion", "fish").exitCode()).isEqualTo(2);
    }
}
