package dev.floe.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** PNG encoding and decoding in memory, for the pictures and charts the pages embed. */
public final class Png {

    private Png() {}

    /**
     * PNG bytes of {@code image}.
     *
     * @throws IllegalStateException when this Java runtime has no PNG writer
     */
    public static byte[] encode(BufferedImage image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", bytes)) {
                throw new IllegalStateException("no PNG writer in this Java runtime");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("encoding a PNG in memory failed: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    /**
     * The image in the PNG bytes {@code png}.
     *
     * @throws IllegalArgumentException when {@code png} is not an image this Java runtime can read
     */
    public static BufferedImage decode(byte[] png) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            if (image == null) {
                throw new IllegalArgumentException("the " + png.length + " bytes are not a readable PNG image");
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("decoding a PNG in memory failed: " + e.getMessage(), e);
        }
    }
}
