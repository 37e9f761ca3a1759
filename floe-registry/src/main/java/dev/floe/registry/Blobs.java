package dev.floe.registry;

import dev.floe.io.Hashing;
import dev.floe.io.ModelWeights;
import dev.floe.io.Safetensors;
import dev.floe.io.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Weight blobs: safetensors files named by the SHA-256 of their bytes, at
 * {@code <blobs>/<first two hex digits>/<hex>.safetensors}.
 *
 * <p>A blob is written under a hidden temporary name in its final folder, hashed, and renamed to its
 * hash name, so a blob file with a hash name is always complete. A process killed before the rename
 * leaves only a {@value #TEMP_PREFIX}* file, which {@link Registry#verify()} reports. An existing
 * blob whose bytes no longer match its name is replaced by a good copy when the same weights are
 * stored again; a good one is reused and its modification time set to now, so every blob a
 * publish is about to record is young ({@link Registry#collectGarbage} removes only old ones).
 */
final class Blobs {

    /** Prefix of blobs being written. */
    static final String TEMP_PREFIX = ".incoming-";
    static final String SUFFIX = ".safetensors";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private final Path dir;

    Blobs(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /** Where the blob with this hash lives (whether or not it exists). */
    Path path(String sha256) {
        if (!HEX64.matcher(sha256).matches()) {
            throw new IllegalArgumentException("'" + Names.printable(sha256) + "' is not a SHA-256 (64 lower-case hex"
                    + " digits); the registry row or bundle naming it is damaged");
        }
        return dir.resolve(sha256.substring(0, 2)).resolve(sha256 + SUFFIX);
    }

    /**
     * Stores tensors as a blob with only the Floe weights format in its metadata, so equal tensors
     * give the same bytes and the same blob.
     *
     * @return the blob's hex SHA-256
     */
    String put(Map<String, TensorData> tensors) {
        try {
            Path temp = tempFile(dir);
            try {
                Safetensors.write(temp, tensors, Map.of(ModelWeights.FORMAT_KEY, ModelWeights.FORMAT));
                return settle(temp, Hashing.sha256Hex(temp));
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a weight blob in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies a file in as a blob that must have hash {@code expected}.
     *
     * @throws IllegalArgumentException when the file's bytes do not hash to {@code expected}
     */
    String copyIn(Path file, String expected) {
        try {
            Path temp = tempFile(dir);
            try {
                Files.copy(file, temp, StandardCopyOption.REPLACE_EXISTING);
                String sha = Hashing.sha256Hex(temp);
                if (!sha.equals(expected)) {
                    throw new IllegalArgumentException(file + " has SHA-256 " + sha + " but the bundle records " + expected
                            + "; the bundle was damaged in transit — export it again");
                }
                return settle(temp, sha);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + file + " into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Renames a complete temporary blob to its hash name unless a good blob is there already. */
    private String settle(Path temp, String sha) throws IOException {
        Path target = path(sha);
        if (Files.isRegularFile(target) && sha.equals(Hashing.sha256Hex(target))) {
            // reused: it counts as just written, so garbage collection (which spares young blobs) keeps it
            // until the version that reuses it is recorded
            Files.setLastModifiedTime(target, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
            return sha;
        }
        Files.createDirectories(target.getParent());
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.force(true); // on disk before its hash name says it is complete, as AtomicFiles does
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return sha;
    }

    private static Path tempFile(Path folder) throws IOException {
        Files.createDirectories(folder);
        return folder.resolve(TEMP_PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + SUFFIX);
    }

    /** What a blob check found. */
    enum State { OK, MISSING, CORRUPTED }

    /** Checks one blob by re-hashing it. */
    State check(String sha256) {
        Path p = path(sha256);
        if (!Files.isRegularFile(p)) {
            return State.MISSING;
        }
        try {
            return sha256.equals(Hashing.sha256Hex(p)) ? State.OK : State.CORRUPTED;
        } catch (IOException e) {
            return State.CORRUPTED;
        }
    }

    /** Hash-named blob files present, by hash. */
    List<String> present() {
        List<String> out = new ArrayList<>();
        forEachFile(f -> {
            String n = f.getFileName().toString();
            if (n.endsWith(SUFFIX) && HEX64.matcher(n.substring(0, n.length() - SUFFIX.length())).matches()) {
                out.add(n.substring(0, n.length() - SUFFIX.length()));
            }
        });
        return out;
    }

    /** Temporary files left by interrupted writes (hidden files: {@value #TEMP_PREFIX}* and their own temporaries). */
    List<Path> leftovers() {
        List<Path> out = new ArrayList<>();
        forEachFile(f -> {
            if (f.getFileName().toString().startsWith(".")) {
                out.add(f);
            }
        });
        return out;
    }

    private void forEachFile(java.util.function.Consumer<Path> action) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir, 2)) {
            files.filter(Files::isRegularFile).sorted().forEach(action);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
