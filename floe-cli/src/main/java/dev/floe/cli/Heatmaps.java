package dev.floe.cli;

import dev.floe.report.Png;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Pictures of explanations, drawn headless with java.awt: an image beside its saliency overlay, and
 * a matrix (attention) with tokens on both axes. Encoded as PNG bytes, for the caller to write
 * atomically.
 */
final class Heatmaps {

    /** Pixels per input pixel in saliency pictures. */
    static final int SCALE = 8;
    /** Pixels per matrix cell. */
    static final int CELL = 24;
    private static final int MARGIN = 4;
    /** Strongest overlay opacity (at the largest attribution). */
    private static final float MAX_ALPHA = 0.8f;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Heatmaps() {}

    /**
     * The image ({@code (C, H, W)} row-major, channels averaged, min-max scaled to gray) on the left;
     * on the right the same image with the attributions over it, red where they are positive and
     * blue where negative, opacity by size relative to the largest one (summed over channels).
     */
    static BufferedImage saliency(float[] image, long[] chw, float[] attribution) {
        int c = (int) chw[0];
        int h = (int) chw[1];
        int w = (int) chw[2];
        float[] gray = new float[h * w];
        float[] heat = new float[h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < h * w; i++) {
                gray[i] += image[ch * h * w + i] / c;
                heat[i] += attribution[ch * h * w + i];
            }
        }
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        float peak = 0;
        for (int i = 0; i < h * w; i++) {
            lo = Math.min(lo, gray[i]);
            hi = Math.max(hi, gray[i]);
            peak = Math.max(peak, Math.abs(heat[i]));
        }
        BufferedImage out = new BufferedImage((2 * w) * SCALE + MARGIN, h * SCALE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                float v = hi > lo ? (gray[i] - lo) / (hi - lo) : 0f;
                Color base = new Color(v, v, v);
                g.setColor(base);
                g.fillRect(x * SCALE, y * SCALE, SCALE, SCALE);
                float a = peak > 0 ? Math.abs(heat[i]) / peak * MAX_ALPHA : 0f;
                Color tint = heat[i] >= 0 ? Color.RED : Color.BLUE;
                g.setColor(blend(base, tint, a));
                g.fillRect((w + x) * SCALE + MARGIN, y * SCALE, SCALE, SCALE);
            }
        }
        g.dispose();
        return out;
    }

    /**
     * A square matrix as a heatmap, white (0) to dark red (the largest value), with {@code tokens} on
     * the rows (queries) and the columns (keys) and {@code title} above.
     */
    static BufferedImage matrix(float[][] m, List<String> tokens, String title) {
        int n = m.length;
        if (tokens.size() != n) {
            throw new IllegalArgumentException(n + " rows but " + tokens.size() + " tokens");
        }
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        FontMetrics fm = pg.getFontMetrics(font);
        int label = 0;
        for (String t : tokens) {
            label = Math.max(label, fm.stringWidth(t));
        }
        int titleWidth = fm.stringWidth(title);
        pg.dispose();
        label += 2 * MARGIN;
        int top = fm.getHeight() + MARGIN;
        int width = Math.max(label + n * CELL + MARGIN, titleWidth + 2 * MARGIN);
        BufferedImage out = new BufferedImage(width, top + label + n * CELL + MARGIN,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setFont(font);
        g.setColor(Color.BLACK);
        g.drawString(title, MARGIN, fm.getAscent());
        float peak = 0;
        for (float[] row : m) {
            for (float v : row) {
                peak = Math.max(peak, v);
            }
        }
        int x0 = label;
        int y0 = top + label;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                float v = peak > 0 ? Math.max(0f, m[i][j]) / peak : 0f;
                g.setColor(blend(Color.WHITE, new Color(150, 0, 0), v));
                g.fillRect(x0 + j * CELL, y0 + i * CELL, CELL, CELL);
            }
        }
        g.setColor(Color.BLACK);
        for (int i = 0; i < n; i++) {
            String t = tokens.get(i);
            g.drawString(t, label - MARGIN - fm.stringWidth(t), y0 + i * CELL + (CELL + fm.getAscent()) / 2 - 2);
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2, x0 + i * CELL + (CELL + fm.getAscent()) / 2.0 - 2, y0 - MARGIN);
            g.drawString(t, x0 + i * CELL + (CELL + fm.getAscent()) / 2 - 2, y0 - MARGIN);
            g.setTransform(saved);
        }
        g.dispose();
        return out;
    }

    /** PNG bytes of {@code image}. */
    static byte[] png(BufferedImage image) {
        return Png.encode(image);
    }

    private static Color blend(Color a, Color b, float t) {
        float u = 1 - t;
        return new Color(Math.round(a.getRed() * u + b.getRed() * t), Math.round(a.getGreen() * u + b.getGreen() * t),
                Math.round(a.getBlue() * u + b.getBlue() * t));
    }
}
