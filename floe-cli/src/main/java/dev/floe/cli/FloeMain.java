package dev.floe.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code floe} command. */
@Command(
        name = "floe",
        mixinStandardHelpOptions = true,
        version = "floe 0.1.0",
        description = "Neural networks from named components, with declared freezing and fine-tuning.",
        subcommands = {DemoCommand.class, TrainCommand.class, PlanCommand.class, ProfileCommand.class, ReproduceCommand.class, CompareCommand.class,
                BenchCommand.class, RegistryCommand.class, SweepCommand.class, ReportCommand.class, AttributeCommand.class, ExplainTextCommand.class, EvalCommand.class, PredictCommand.class, ExportCommand.class, PeftCommand.class, LrFindCommand.class, CommandLine.HelpCommand.class})
public final class FloeMain implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * The command line with Floe's error handling: bad input (an {@link IllegalArgumentException},
     * which config errors are, or an I/O or state problem) prints exactly one line
     * {@code floe: MESSAGE} on stderr and exits with 2; anything else is a bug in Floe and is
     * rethrown with its stack trace.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new FloeMain());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof java.io.UncheckedIOException
                    || ex instanceof java.io.IOException || ex instanceof IllegalStateException) {
                cmd.getErr().println("floe: " + oneLine(ex));
                return 2;
            }
            throw ex;
        });
        return cl;
    }

    /** The message on one line (a message that spans lines is joined), or what failed when there is none. */
    static String oneLine(Exception ex) {
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            Throwable cause = ex.getCause();
            message = cause != null && cause.getMessage() != null && !cause.getMessage().isBlank()
                    ? cause.getMessage()
                    : "the command failed without an explanation, which is a bug in floe; please report it with the"
                            + " command line";
        }
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
