package dev.floe.cli;

import dev.floe.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.stream.Stream;

/** Chooses and guards a command's output folder: never overwrites a run without --force. */
final class OutputDir {

    /** Prefix of the empty file written and deleted to prove the folder takes files. */
    private static final String PROBE = ".floe-write-check-";

    private OutputDir() {}

    /**
     * Creates (or reuses) the run folder and checks that files can be written in it.
     *
     * @param requested the --out value, or null for {@code runs/<prefix>-<timestamp>}
     * @param force whether an existing non-empty folder may be reused
     * @return the folder, created and writable
     * @throws IllegalArgumentException if it exists and is a file, or is not empty and force is off,
     *     or it cannot be created or written: the message says why (permission denied, a parent is
     *     a file, read-only file system, ...) and how to fix it; folders this call created are
     *     removed again
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
        Path created = topmostMissing(dir);
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, PROBE, ".tmp"));
        } catch (IOException e) {
            if (created != null) {
                try {
                    AtomicFiles.deleteTree(created);
                } catch (IOException ignored) {
                    // the error below matters more; nothing was written in it
                }
            }
            throw new IllegalArgumentException(cannotWrite(dir, e), e);
        }
        return dir;
    }

    /**
     * The message for a run folder that cannot be created or written: where, why and the fix.
     *
     * @param dir the run folder
     * @param e what creating the folder or a file in it threw
     */
    static String cannotWrite(Path dir, IOException e) {
        String where = "cannot create or write the run folder " + dir + ": ";
        String fix = "; choose another --out, in a folder you can write";
        Path blocking = fileInTheWay(dir);
        if (blocking != null) {
            return where + blocking + " is a file, not a folder, so nothing can be created under it" + fix
                    + ", or move that file away";
        }
        Path at = e instanceof FileSystemException f && f.getFile() != null ? Path.of(f.getFile()) : dir;
        if (e instanceof AccessDeniedException) {
            return where + "permission denied on " + at + fix + ", or give yourself write permission there";
        }
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.toString();
        if (reason.toLowerCase(java.util.Locale.ROOT).contains("read-only")) {
            return where + at + " is on a read-only file system" + fix + " (e.g. under your home folder or /tmp)";
        }
        return where + reason + " (" + at + ")" + fix + ", or fix the cause above";
    }

    /** The nearest existing ancestor of {@code dir} when it is not a folder, else null. */
    private static Path fileInTheWay(Path dir) {
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                return Files.isDirectory(p) ? null : p;
            }
        }
        return null;
    }

    /** The outermost folder that creating {@code dir} would make, or null when {@code dir} exists. */
    static Path topmostMissing(Path dir) {
        Path missing = null;
        for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
            missing = p;
        }
        return missing;
    }
}
