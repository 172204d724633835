package dev.lathe.models.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a template source into text and tags with Jinja2's whitespace rules as {@code transformers} configures
 * them: {@code {%-}/{@code -%}} (and the same on {@code {{ }}, {@code {# #}}) strip all whitespace on that side;
 * {@code trim_blocks} drops the first newline after a block or comment tag; {@code lstrip_blocks} drops the
 * spaces and tabs between a line's start and a block or comment tag ({@code {%+} keeps them); newlines are
 * normalized to {@code \n} and one trailing newline of the source is dropped ({@code keep_trailing_newline}
 * off). Tags hold their expression tokens.
 */
final class TemplateLexer {
    /** A run of text, an output tag {@code {{ }}} or a statement tag {@code {% %}}. */
    record Segment(Type type, String text, List<Token> tokens) {
        enum Type { TEXT, OUTPUT, STATEMENT }
    }

    private static final List<String> OPERATORS2 = List.of("**", "//", "==", "!=", "<=", ">=");
    private static final String OPERATORS1 = "+-*/%~|.,:()[]{}=<>";

    private final String src;
    private int pos;
    private final List<Segment> out = new ArrayList<>();
    /** Whether the text being gathered starts a line (template start, or a tag that ended with a newline). */
    private boolean lineStarting = true;

    private TemplateLexer(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        src = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    static List<Segment> lex(String source) {
        TemplateLexer lexer = new TemplateLexer(source);
        lexer.run();
        return lexer.out;
    }

    private void run() {
        StringBuilder text = new StringBuilder();
        boolean stripNextLeading = false;
        while (pos < src.length()) {
            int open = nextTagStart(pos);
            String chunk = src.substring(pos, open < 0 ? src.length() : open);
            if (stripNextLeading) chunk = stripLeading(chunk);
            stripNextLeading = false;
            text.append(chunk);
            if (open < 0) {
                pos = src.length();
                break;
            }
            char kind = src.charAt(open + 1);
            char sign = open + 2 < src.length() ? src.charAt(open + 2) : ' ';
            boolean textStartsLine = lineStarting && text.indexOf("\n") < 0;
            if (sign == '-') {
                stripTrailing(text);
            } else if (sign != '+' && kind != '{') {
                int lineStart = text.lastIndexOf("\n") + 1;
                if ((lineStart > 0 || textStartsLine) && isBlank(text, lineStart)) text.setLength(lineStart);
            }
            if (!text.isEmpty()) out.add(new Segment(Segment.Type.TEXT, text.toString(), List.of()));
            text.setLength(0);
            pos = open + 2 + (sign == '-' || sign == '+' ? 1 : 0);
            boolean stripAfter;
            if (kind == '#') {
                int close = src.indexOf("#}", pos);
                if (close < 0) throw new TemplateException("a comment is not closed");
                stripAfter = src.charAt(close - 1) == '-';
                pos = close + 2;
            } else {
                List<Token> tokens = new ArrayList<>();
                stripAfter = tagTokens(kind == '{' ? '}' : '%', tokens);
                out.add(new Segment(kind == '{' ? Segment.Type.OUTPUT : Segment.Type.STATEMENT, null, tokens));
            }
            lineStarting = false;
            if (stripAfter) {
                stripNextLeading = true;
            } else if (kind != '{' && pos < src.length() && src.charAt(pos) == '\n') { // trim_blocks
                pos++;
                lineStarting = true;
            }
        }
        if (!text.isEmpty()) out.add(new Segment(Segment.Type.TEXT, text.toString(), List.of()));
    }

    private int nextTagStart(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    private static boolean isBlank(CharSequence s, int from) {
        for (int i = from; i < s.length(); i++) if (!Character.isWhitespace(s.charAt(i))) return false;
        return true;
    }

    private static void stripTrailing(StringBuilder s) {
        int n = s.length();
        while (n > 0 && Character.isWhitespace(s.charAt(n - 1))) n--;
        s.setLength(n);
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return s.substring(i);
    }

    /**
     * Tokens up to the tag's end ({@code close} then '}'), braces inside the expression kept balanced; returns
     * whether the end was {@code -%}} / {@code -}}}.
     */
    private boolean tagTokens(char close, List<Token> tokens) {
        int depth = 0;
        while (true) {
            while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) pos++;
            if (pos >= src.length()) throw new TemplateException("a tag is not closed");
            char c = src.charAt(pos);
            if (depth == 0) {
                if (c == '-' && src.startsWith(close + "}", pos + 1)) {
                    pos += 3;
                    return true;
                }
                if (c == close && pos + 1 < src.length() && src.charAt(pos + 1) == '}') {
                    pos += 2;
                    return false;
                }
            }
            if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                tokens.add(new Token(Token.Kind.NAME, src.substring(start, pos)));
            } else if (Character.isDigit(c)) {
                tokens.add(number());
            } else if (c == '\'' || c == '"') {
                tokens.add(new Token(Token.Kind.STRING, string(c)));
            } else {
                String two = pos + 2 <= src.length() ? src.substring(pos, pos + 2) : "";
                String op = OPERATORS2.contains(two) ? two : null;
                if (op == null) {
                    if (OPERATORS1.indexOf(c) < 0) throw new TemplateException("unexpected character '" + c + "' in a tag");
                    op = String.valueOf(c);
                }
                if (op.equals("{") || op.equals("[") || op.equals("(")) depth++;
                if (op.equals("}") || op.equals("]") || op.equals(")")) depth--;
                tokens.add(new Token(Token.Kind.OP, op));
                pos += op.length();
            }
        }
    }

    private Token number() {
        int start = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int save = pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) pos++;
            if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                isFloat = true;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
            } else {
                pos = save;
            }
        }
        return new Token(isFloat ? Token.Kind.FLOAT : Token.Kind.INT, src.substring(start, pos).replace("_", ""));
    }

    /** A quoted string with Python's escapes, unescaped. */
    private String string(char quote) {
        StringBuilder sb = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) throw new TemplateException("a string is not closed");
            char c = src.charAt(pos++);
            if (c == quote) return sb.toString();
            if (c != '\\' || pos >= src.length()) {
                sb.append(c);
                continue;
            }
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case '0' -> sb.append('\0');
                case '\\', '\'', '"' -> sb.append(e);
                case '\n' -> { } // a backslash-newline continues the string
                case 'x' -> sb.append((char) hex(2));
                case 'u' -> sb.append((char) hex(4));
                case 'U' -> sb.appendCodePoint(hex(8));
                default -> sb.append('\\').append(e);
            }
        }
    }

    private int hex(int digits) {
        if (pos + digits > src.length()) throw new TemplateException("a string escape is cut short");
        int v = Integer.parseInt(src.substring(pos, pos + digits), 16);
        pos += digits;
        return v;
    }
}
