package dev.floe.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files atomically: a reader of the target path sees either its previous content or the
 * complete new content, never a partial file, even if the writer fails or the process is killed.
 *
 * <p>The content goes to a hidden temporary file in the target's directory (named
 * {@code .<target name>.<random>.tmp}), is forced to the storage device with
 * {@link FileChannel#force(boolean)}, and is then renamed over the target with
 * {@link StandardCopyOption#ATOMIC_MOVE} and {@link StandardCopyOption#REPLACE_EXISTING}. On any
 * failure the temporary file is deleted and the target is left untouched. After the rename the
 * directory is forced too, where the platform allows it (best effort).
 *
 * <p>The new file gets the default permissions of newly created files, not those of the file it
 * replaces. If the target is a symbolic link, the link itself is replaced by a regular file.
 * A process killed between creating and renaming the temporary file can leave it behind; it never
 * has the target's name.
 */
public final class AtomicFiles {

    /** Buffer between the body and the file channel, in bytes. */
    private static final int BUFFER_BYTES = 1 << 16;

    /** Longest part of the target's file name copied into the temporary file's name. */
    private static final int MAX_NAME_CHARS_IN_TEMP = 100;

    /** Attempts at finding an unused temporary file name before giving up. */
    private static final int TEMP_NAME_ATTEMPTS = 16;

    private AtomicFiles() {}

    /**
     * Writes the bytes that {@code body} puts into the stream to {@code target}, atomically.
     * Parent directories are created if missing.
     *
     * <p>The stream handed to {@code body} is buffered; {@code body} need not flush or close it
     * (closing it is harmless). The stream must not be used after {@code body} returns.
     *
     * @param target the file to create or replace
     * @param body writes the complete new content
     * @throws IOException if {@code body} throws it or the file system fails; the target is then
     *     unchanged and the temporary file is gone. Unchecked exceptions from {@code body} propagate
     *     with the same guarantee.
     */
    public static void write(Path target, IoConsumer<OutputStream> body) throws IOException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(body, "body");
        Path absolute = target.toAbsolutePath();
        Path fileName = absolute.getFileName();
        if (fileName == null) {
            throw new IOException(
                    "cannot write " + absolute + ": it is a file-system root; expected a file path");
        }
        if (Files.isDirectory(absolute)) {
            throw new IOException(
                    "cannot write "
                            + absolute
                            + ": it is a directory; expected a file path; remove the directory or"
                            + " choose another name");
        }
        Path directory = absolute.getParent();
        Files.createDirectories(directory);

        Path temp = null;
        boolean moved = false;
        try {
            FileChannel channel = null;
            for (int attempt = 0; channel == null; attempt++) {
                Path candidate = directory.resolve(tempName(fileName.toString()));
                try {
                    channel =
                            FileChannel.open(
                                    candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    temp = candidate;
                } catch (FileAlreadyExistsException e) {
                    if (attempt + 1 >= TEMP_NAME_ATTEMPTS) {
                        throw e;
                    }
                }
            }
            try (FileChannel open = channel) {
                OutputStream out =
                        new BufferedOutputStream(new UnclosableStream(Channels.newOutputStream(open)),
                                BUFFER_BYTES);
                body.accept(out);
                out.flush();
                open.force(true);
            }
            try {
                Files.move(
                        temp,
                        absolute,
                        StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(
                        "cannot replace "
                                + absolute
                                + " atomically: the file system does not support atomic rename;"
                                + " expected a local file system; write to a local disk instead",
                        e);
            }
            moved = true;
        } finally {
            if (!moved && temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException cleanup) {
                    // The original failure matters more; the leftover is a hidden .tmp file.
                }
            }
        }
        forceDirectory(directory);
    }

    /**
     * Writes {@code content} as UTF-8 to {@code target}, atomically; see {@link #write}.
     *
     * @param target the file to write; replaced if it exists
     * @param content the text to write
     * @throws IOException if the temporary file cannot be written or moved into place;
     *     {@code target} is then unchanged
     */
    public static void writeString(Path target, String content) throws IOException {
        Objects.requireNonNull(content, "content");
        writeBytes(target, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Copies a folder with everything below it to {@code to} (which must not exist), files byte for
     * byte. Not atomic: a failure may leave part of the copy; copy into a temporary name and
     * rename when that matters.
     *
     * @param from the folder to copy
     * @param to the new folder's path; must not exist
     * @throws IOException if {@code to} exists or a file cannot be read or written
     */
    public static void copyTree(Path from, Path to) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    /**
     * Deletes a file or a folder with everything in it; nothing happens when it does not exist.
     *
     * @param path the file or folder to delete
     * @throws IOException if something below {@code path} cannot be deleted; part of it may be gone
     *     then
     */
    public static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * Writes {@code content} to {@code target}, atomically; see {@link #write}.
     *
     * @param target the file to write; replaced if it exists
     * @param content the bytes to write
     * @throws IOException if the temporary file cannot be written or moved into place;
     *     {@code target} is then unchanged
     */
    public static void writeBytes(Path target, byte[] content) throws IOException {
        Objects.requireNonNull(content, "content");
        write(target, out -> out.write(content));
    }

    private static String tempName(String targetName) {
        String base =
                targetName.length() > MAX_NAME_CHARS_IN_TEMP
                        ? targetName.substring(0, MAX_NAME_CHARS_IN_TEMP)
                        : targetName;
        return "." + base + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp";
    }

    /** Makes the rename durable where directories can be opened and forced (Linux, macOS). */
    private static void forceDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Best effort: some platforms (Windows) cannot open a directory as a channel.
        }
    }

    /** Keeps the body from closing the channel before it is forced; close only flushes. */
    private static final class UnclosableStream extends OutputStream {
        private final OutputStream out;

        UnclosableStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
