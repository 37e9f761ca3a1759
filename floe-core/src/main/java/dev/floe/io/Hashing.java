package dev.floe.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the one content hash Floe uses for fingerprints, cache keys and checksums. */
public final class Hashing {

    private static final int READ_CHUNK = 1 << 16;

    private Hashing() {}

    /**
     * A new SHA-256 digest (every Java platform has one).
     *
     * @return a new digest
     */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing, but every Java platform must provide it", e);
        }
    }

    /**
     * Lower-case hex SHA-256 of the bytes.
     *
     * @param bytes the bytes to hash
     * @return 64 lower-case hex digits
     */
    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /**
     * Lower-case hex SHA-256 of a file's content, read in chunks.
     *
     * @param file the file to hash
     * @return 64 lower-case hex digits
     * @throws IOException if the file cannot be read
     */
    public static String sha256Hex(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[READ_CHUNK];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
