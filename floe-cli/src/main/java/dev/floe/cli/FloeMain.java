package dev.floe.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code floe} command. */
@Command(
        name = "floe",
        mixinStandardHelpOptions = true,
        version = "floe 0.1.0",
        description = "Neural networks from named components, with declared freezing and fine-tuning.",
        subcommands = {DemoCommand.class, TrainCommand.class, PlanCommand.class, ReproduceCommand.class, CompareCommand.class,
                BenchCommand.class, RegistryCommand.class, CommandLine.HelpCommand.class})
public final class FloeMain implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The command line with Floe's error handling: user errors print one clear line, exit 2. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new FloeMain());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof java.io.UncheckedIOException
                    || ex instanceof java.io.IOException || ex instanceof IllegalStateException) {
                cmd.getErr().println("floe: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl;
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
