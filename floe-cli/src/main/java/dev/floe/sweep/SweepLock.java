package dev.floe.sweep;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive right to run a sweep into its output folder: an operating-system lock on
 * {@code DIR/}{@value #FILE}, held from before the run folders are classified until the report is
 * written. Two {@code floe sweep} commands into one folder would otherwise start the same runs twice
 * and overwrite each other's {@code sweep-state.json} and report. The operating system releases the
 * lock when its process ends, also when it is killed, so a rerun after {@code kill -9} is not
 * refused.
 */
public final class SweepLock implements AutoCloseable {

    /** The lock file's name in the sweep's folder; it holds the process id of the sweep holding it. */
    public static final String FILE = ".sweep.lock";

    private final Path out;
    private final boolean createdOut;
    private final FileChannel channel;
    private final FileLock lock;

    private SweepLock(Path out, boolean createdOut, FileChannel channel, FileLock lock) {
        this.out = out;
        this.createdOut = createdOut;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of a sweep folder, creating the folder when it does not exist. When {@code out}
     * is a file, nothing is locked (the sweep refuses such a folder itself).
     *
     * @param out the sweep's output folder
     * @return the lock; close it when the sweep has ended
     * @throws IllegalArgumentException when another sweep holds the folder, naming its process id and
     *     the fix
     * @throws IOException if the folder or the lock file cannot be created
     */
    public static SweepLock acquire(Path out) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            return new SweepLock(out, false, null, null);
        }
        boolean created = !Files.exists(out);
        Files.createDirectories(out);
        Path file = out.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this JVM
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder = holder(channel);
            channel.close();
            throw new IllegalArgumentException("--out " + out + " is in use by another floe sweep" + holder
                    + "; wait for it to end (then run this command again: it skips the finished runs), or give"
                    + " another --out");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        return new SweepLock(out, created, channel, lock);
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            int n = channel.read(b, 0);
            String pid = n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).strip();
            return pid.matches("[0-9]+") ? " (process " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Releases the lock. When the folder holds no {@code sweep-state.json} (the sweep was refused
     * before anything ran), the lock file is removed, and the folder too when this lock created it.
     *
     * @throws IOException if the lock file cannot be released or removed
     */
    @Override
    public void close() throws IOException {
        if (channel == null) {
            return;
        }
        try {
            lock.release();
        } finally {
            channel.close();
        }
        if (!Files.exists(out.resolve(SweepRunner.STATE))) {
            Files.deleteIfExists(out.resolve(FILE));
            if (createdOut) {
                try (var s = Files.list(out)) {
                    if (s.findAny().isEmpty()) {
                        Files.delete(out);
                    }
                }
            }
        }
    }
}
