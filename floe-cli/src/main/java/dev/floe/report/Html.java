package dev.floe.report;

import java.util.Base64;

/** HTML fragments shared by the report, profile, attribute and explain-text pages. */
public final class Html {

    private Html() {}

    /** {@code s} escaped for HTML content and attribute values; {@code null} gives the empty string. */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** An {@code <img>} element holding the PNG bytes {@code png} inline as a data URI, with escaped {@code alt}. */
    public static String pngImage(byte[] png, String alt) {
        return "<img alt=\"" + escape(alt) + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png)
                + "\">";
    }
}
