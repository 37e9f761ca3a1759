package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.floe.cli.PlanCommandTest.Result;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run folder: created with its parents, checked to take files, and a clear error when it cannot be. */
class OutputDirTest {

    @TempDir
    Path dir;

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "message lacks \"" + part + "\": " + message);
        }
    }

    @Test
    void outUnderARegularFileIsOneLineSayingWhyAndHowToFix() throws IOException {
        Path config = Files.writeString(dir.resolve("exp.yaml"), BadFilesTest.csvConfig());
        Files.writeString(dir.resolve("train.csv"), BadFilesTest.GOOD_CSV);
        Path file = Files.writeString(dir.resolve("notes.txt"), "a file, not a folder");

        Result r = floe("train", config.toString(), "--out", file.resolve("run").toString(), "--no-progress");

        assertEquals(2, r.code(), r.out() + r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertMentions(lines.get(0), "floe: cannot create or write the run folder " + file.resolve("run"),
                file + " is a file, not a folder", "choose another --out");
        assertEquals("a file, not a folder", Files.readString(file));
    }

    @Test
    void missingParentsAreCreatedAndNoCheckFileIsLeft() throws IOException {
        Path out = dir.resolve("a/b/run");

        assertEquals(out, OutputDir.prepare(out, "train", false));

        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of(), s.toList());
        }
    }

    @Test
    void permissionDeniedSaysWhereAndHowToFix() {
        String m = OutputDir.cannotWrite(dir.resolve("run"), new AccessDeniedException(dir.resolve("run").toString()));

        assertMentions(m, "cannot create or write the run folder " + dir.resolve("run"),
                "permission denied on " + dir.resolve("run"), "choose another --out", "write permission");
    }

    @Test
    void readOnlyFileSystemIsNamed() {
        Path run = dir.resolve("run");

        String m = OutputDir.cannotWrite(run, new FileSystemException(run.toString(), null, "Read-only file system"));

        assertMentions(m, run + " is on a read-only file system", "choose another --out");
    }

    @Test
    void folderWithoutWritePermissionIsRefusedAndLeftAsItWas() throws IOException {
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            boolean root = Files.isWritable(locked); // root ignores permission bits
            assumeFalse(root, "runs as root, which may write anywhere; permissionDeniedSaysWhereAndHowToFix checks"
                    + " the message");

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OutputDir.prepare(locked.resolve("run"), "train", false));

            assertMentions(e.getMessage(), "permission denied", "choose another --out");
            assertFalse(Files.exists(locked.resolve("run")));
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
