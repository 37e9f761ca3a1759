package dev.floe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.stream.Stream;

/** Chooses and guards a command's output folder: never overwrites a run without --force. */
final class OutputDir {

    private OutputDir() {}

    /**
     * @param requested the --out value, or null for {@code runs/<prefix>-<timestamp>}
     * @param force whether an existing non-empty folder may be reused
     * @return the folder, created
     * @throws IllegalArgumentException if it exists, is not empty and force is off
     */
    static Path prepare(Path requested, String prefix, boolean force) throws IOException {
        Path dir = requested != null
                ? requested
                : Path.of("runs", prefix + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("--out " + dir + " is a file, expected a folder; choose another path");
            }
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent() && !force) {
                    throw new IllegalArgumentException(
                            "output folder " + dir + " already holds a run; choose another --out or add --force to"
                                    + " overwrite it");
                }
            }
        }
        Files.createDirectories(dir);
        return dir;
    }
}
