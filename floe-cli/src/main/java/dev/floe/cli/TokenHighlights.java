package dev.floe.cli;

import dev.floe.report.Html;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * Pieces of the self-contained HTML pages of {@code floe attribute} (text runs) and
 * {@code floe explain-text --compare}: tokens coloured by attribution and pictures side by side.
 */
final class TokenHighlights {

    private TokenHighlights() {}

    /** The page's head: title and the styles the other pieces use. */
    static String pageStart(String title) {
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title><style>"
                + "body{font-family:sans-serif;margin:1.5em}span.t{padding:2px 3px;margin:1px;border-radius:3px;"
                + "display:inline-block;font-family:monospace}td,th{vertical-align:top;padding:4px 8px;text-align:left}"
                + "img{max-width:100%}</style></head><body>\n<h1>" + escape(title) + "</h1>\n";
    }

    static String pageEnd() {
        return "</body></html>\n";
    }

    /**
     * The tokens as spans, each coloured red (raises the explained logit) or blue (lowers it) with an
     * intensity proportional to |attribution| over the largest |attribution| in {@code values}; the
     * exact value is the span's tooltip.
     */
    static String tokens(List<String> tokens, double[] values) {
        if (tokens.size() != values.length) {
            throw new IllegalArgumentException(tokens.size() + " tokens but " + values.length + " attributions");
        }
        double peak = 0;
        for (double v : values) {
            peak = Math.max(peak, Math.abs(v));
        }
        StringBuilder sb = new StringBuilder("<div>");
        for (int i = 0; i < values.length; i++) {
            double t = peak > 0 ? Math.abs(values[i]) / peak : 0;
            String rgb = values[i] >= 0 ? "255,0,0" : "0,80,255";
            sb.append(String.format(Locale.ROOT, "<span class=\"t\" style=\"background:rgba(%s,%.2f)\" title=\"%.4g\">%s</span>",
                    rgb, 0.75 * t, values[i], escape(tokens.get(i))));
        }
        return sb.append("</div>\n").toString();
    }

    /** An {@code <img>} holding {@code png} inline. */
    static String image(byte[] png, String alt) {
        return Html.pngImage(png, alt);
    }

    /**
     * {@code left} and {@code right} next to each other on one white canvas, 16 pixels apart, each
     * under its label.
     */
    static BufferedImage sideBySide(BufferedImage left, String leftLabel, BufferedImage right, String rightLabel) {
        int gap = 16;
        java.awt.Font font = new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 12);
        int strip = 20;
        BufferedImage out = new BufferedImage(left.getWidth() + gap + right.getWidth(),
                strip + Math.max(left.getHeight(), right.getHeight()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_TEXT_ANTIALIASING, java.awt.RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setColor(java.awt.Color.BLACK);
        g.setFont(font);
        g.drawString(leftLabel, 4, 15);
        g.drawString(rightLabel, left.getWidth() + gap + 4, 15);
        g.drawImage(left, 0, strip, null);
        g.drawImage(right, left.getWidth() + gap, strip, null);
        g.dispose();
        return out;
    }

    static String escape(String s) {
        return Html.escape(s);
    }
}
