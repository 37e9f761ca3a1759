package dev.floe.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A separate publisher process for the concurrency and kill tests:
 * {@code PublishChild LOCATION NAME TAG|- PAUSE_AT|- MARKER|- RUN_DIR...} publishes each run's
 * encoder and prints the new refs, one a line. With PAUSE_AT it stops at that publish step
 * ({@code blob-written}, {@code before-commit}), creates MARKER and waits to be killed.
 */
public final class PublishChild {

    private PublishChild() {}

    /** Starts a child JVM running this class with the test class path. */
    static Process start(RegistryLocation where, String name, String tag, String pauseAt, Path marker, Path log,
            List<Path> runs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path") + java.io.File.pathSeparator + System.getProperty("jdk.module.path", "") /* tests run on the module path */, PublishChild.class.getName(),
                encode(where), name, tag == null ? "-" : tag, pauseAt == null ? "-" : pauseAt,
                marker == null ? "-" : marker.toString()));
        runs.forEach(r -> cmd.add(r.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static String encode(RegistryLocation where) {
        return where.isPostgres() ? where.jdbcUrl() + "|" + where.blobs() : where.folder().toString();
    }

    static RegistryLocation decode(String text) {
        int bar = text.indexOf('|');
        return bar < 0 ? RegistryLocation.folder(Path.of(text))
                : RegistryLocation.postgres(text.substring(0, bar), Path.of(text.substring(bar + 1)));
    }

    public static void main(String[] args) throws Exception {
        RegistryLocation where = decode(args[0]);
        String name = args[1];
        String tag = "-".equals(args[2]) ? null : args[2];
        String pauseAt = "-".equals(args[3]) ? null : args[3];
        Path marker = "-".equals(args[4]) ? null : Path.of(args[4]);
        if (pauseAt != null) {
            Registry.faults = step -> {
                if (step.equals(pauseAt)) {
                    try {
                        Files.writeString(marker, step);
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            };
        }
        try (Registry registry = Registry.open(where)) {
            for (int i = 5; i < args.length; i++) {
                System.out.println(registry.publish(Path.of(args[i]), "encoder", name, tag, null).ref());
            }
        }
    }
}
