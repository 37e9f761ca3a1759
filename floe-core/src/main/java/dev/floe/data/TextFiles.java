package dev.floe.data;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Opens the text files the readers parse: UTF-8, strictly decoded, and gunzipped when the content
 * starts with the gzip magic bytes {@code 1f 8b} (whatever the name, so {@code .gz}, {@code .GZ}
 * and a misnamed file all work). Low-level failures become one message naming the file.
 */
final class TextFiles {

    private static final int GZIP_MAGIC_0 = 0x1f;
    private static final int GZIP_MAGIC_1 = 0x8b;
    private static final int BUFFER_BYTES = 1 << 16;

    private TextFiles() {}

    /** What a reader does with the open text. */
    interface Parse<T> {
        T apply(BufferedReader text) throws IOException;
    }

    /**
     * Opens {@code file}, runs {@code parse} on its text and closes it.
     *
     * @throws DataFormatException if the bytes are not UTF-8, or the gzip stream is damaged or cut
     *     short, or as {@code parse} throws
     * @throws UncheckedIOException if the file is missing, a folder or not readable, naming the
     *     file and the reason
     */
    static <T> T read(Path file, Parse<T> parse) {
        requireFile(file);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES);
                BufferedReader text = new BufferedReader(new InputStreamReader(decompressed(raw),
                        StandardCharsets.UTF_8.newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)), BUFFER_BYTES)) {
            return parse.apply(text);
        } catch (CharacterCodingException e) {
            throw new DataFormatException(file, "is not UTF-8 text: it holds a byte sequence that is not UTF-8 (e.g."
                    + " Latin-1 accents, or binary data); save it as UTF-8, or check that it is the text file you meant", e);
        } catch (ZipException | EOFException e) {
            throw new DataFormatException(file, "is gzipped but the gzip stream is damaged or cut short ("
                    + reason(e) + "); download or copy the file again", e);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    /**
     * Fails unless {@code file} is a readable regular file (following links).
     *
     * @throws UncheckedIOException naming the file and why it cannot be read, and the fix
     */
    static void requireFile(Path file) {
        if (Files.isDirectory(file)) {
            String message = "cannot read " + file + ": it is a folder; expected a data file — give the path of"
                    + " a file inside it";
            throw new UncheckedIOException(message, new FileSystemException(file.toString(), null, "is a folder"));
        }
        if (!Files.exists(file)) {
            throw cannotRead(file, new NoSuchFileException(file.toString()));
        }
    }

    /** An {@link UncheckedIOException} whose message names the file, the reason and the fix. */
    static UncheckedIOException cannotRead(Path file, IOException e) {
        String why;
        if (e instanceof NoSuchFileException) {
            why = "no such file (looked in " + file.toAbsolutePath().normalize() + "); check the path";
        } else if (e instanceof AccessDeniedException) {
            why = "permission denied; make the file readable (chmod +r) or copy it somewhere readable";
        } else {
            why = e.getMessage() + "; check the path and permissions";
        }
        return new UncheckedIOException("cannot read " + file + ": " + why, e);
    }

    /** What went wrong reading a (gzipped) file, in words, also when the exception carries no message. */
    static String reason(IOException e) {
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        return e instanceof EOFException ? "the file ends too early" : "a checksum or format error";
    }

    private static InputStream decompressed(InputStream raw) throws IOException {
        raw.mark(2);
        boolean gzipped = raw.read() == GZIP_MAGIC_0 && raw.read() == GZIP_MAGIC_1;
        raw.reset();
        return gzipped ? new GZIPInputStream(raw, BUFFER_BYTES) : raw;
    }
}
