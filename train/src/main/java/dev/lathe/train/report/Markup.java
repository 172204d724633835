package dev.lathe.train.report;

/** Text for HTML and SVG (XML) content and attribute values. */
final class Markup {
    private Markup() {}

    /**
     * Escapes {@code & < > " '} and replaces characters XML does not allow (control characters other than tab,
     * newline and carriage return; lone surrogates; U+FFFE/U+FFFF) with U+FFFD, so any metric name or path
     * stays well-formed markup.
     */
    static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < text.length()
                            && Character.isLowSurrogate(text.charAt(i + 1))) {
                        b.append(c).append(text.charAt(++i));
                    } else if (allowed(c)) {
                        b.append(c);
                    } else {
                        b.append('\uFFFD');
                    }
                }
            }
        }
        return b.toString();
    }

    private static boolean allowed(char c) {
        if (c < 0x20) return c == '\t' || c == '\n' || c == '\r';
        return !Character.isSurrogate(c) && c != '\uFFFE' && c != '\uFFFF';
    }
}
