package dev.floe.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir Path dir;

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void createsParentDirectoriesAndWritesContent() throws IOException {
        Path target = dir.resolve("a/b/c.txt");
        AtomicFiles.writeString(target, "héllo");
        assertEquals("héllo", Files.readString(target, StandardCharsets.UTF_8));
        try (Stream<Path> files = Files.list(target.getParent())) {
            assertEquals(1, files.count(), "only the target remains, no temp file");
        }
    }

    @Test
    void replacesExistingContent() throws IOException {
        Path target = dir.resolve("x.bin");
        AtomicFiles.writeBytes(target, new byte[] {1, 2, 3, 4, 5});
        AtomicFiles.writeBytes(target, new byte[] {9});
        assertArrayEquals(new byte[] {9}, Files.readAllBytes(target));
        assertEquals(List.of("x.bin"), listing());
    }

    @Test
    void bodyThatFailsMidWriteLeavesOldContentAndNoTempFile() throws IOException {
        Path target = dir.resolve("model.safetensors");
        AtomicFiles.writeString(target, "old content");
        byte[] big = new byte[1 << 20]; // larger than the stream buffer, so bytes reach the disk
        IOException thrown =
                assertThrows(
                        IOException.class,
                        () ->
                                AtomicFiles.write(
                                        target,
                                        out -> {
                                            out.write(big);
                                            out.write("new".getBytes(StandardCharsets.UTF_8));
                                            throw new IOException("disk full (simulated)");
                                        }));
        assertEquals("disk full (simulated)", thrown.getMessage());
        assertEquals("old content", Files.readString(target));
        assertEquals(List.of("model.safetensors"), listing());
    }

    @Test
    void uncheckedFailureAlsoLeavesTargetUntouched() throws IOException {
        Path target = dir.resolve("t.txt");
        AtomicFiles.writeString(target, "keep");
        IllegalStateException boom = new IllegalStateException("boom");
        IllegalStateException thrown =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                AtomicFiles.write(
                                        target,
                                        out -> {
                                            out.write(1);
                                            throw boom;
                                        }));
        assertSame(boom, thrown);
        assertEquals("keep", Files.readString(target));
        assertEquals(List.of("t.txt"), listing());
    }

    @Test
    void failedFirstWriteCreatesNoTarget() throws IOException {
        Path target = dir.resolve("new.txt");
        assertThrows(
                UncheckedIOException.class,
                () ->
                        AtomicFiles.write(
                                target,
                                out -> {
                                    out.write(42);
                                    throw new UncheckedIOException(new IOException("nope"));
                                }));
        assertFalse(Files.exists(target));
        assertEquals(List.of(), listing());
    }

    @Test
    void bodyMayCloseTheStream() throws IOException {
        Path target = dir.resolve("closed.txt");
        AtomicFiles.write(
                target,
                out -> {
                    out.write("abc".getBytes(StandardCharsets.UTF_8));
                    out.close();
                });
        assertEquals("abc", Files.readString(target));
        assertEquals(List.of("closed.txt"), listing());
    }

    @Test
    void refusesToReplaceADirectory() throws IOException {
        Path target = Files.createDirectory(dir.resolve("d"));
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(target, "x"));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertTrue(Files.isDirectory(target));
        assertEquals(List.of("d"), listing());
    }
}
