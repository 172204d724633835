package dev.lathe.models.template;

import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(value, ensure_ascii=False, indent=indent)}, the {@code tojson} filter of
 * {@code transformers}' chat templates: separators {@code ", "} and {@code ": "} on one line, or {@code ","} and
 * {@code ": "} with newlines and {@code indent} spaces per level; non-ASCII characters kept as they are.
 */
final class PyJson {
    private PyJson() {}

    static String dumps(Object value, Integer indent) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, indent, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, Integer indent, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Long || v instanceof Integer) {
            sb.append(v);
        } else if (v instanceof Double d) {
            sb.append(d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity") : PyOps.floatRepr(d));
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof List<?> list) {
            if (list.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                separator(sb, i, indent, depth + 1);
                write(sb, list.get(i), indent, depth + 1);
            }
            close(sb, indent, depth).append(']');
        } else if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append('{');
            int i = 0;
            for (var e : map.entrySet()) {
                separator(sb, i++, indent, depth + 1);
                Object k = e.getKey();
                string(sb, k instanceof String s ? s : PyOps.str(k));
                sb.append(": ");
                write(sb, e.getValue(), indent, depth + 1);
            }
            close(sb, indent, depth).append('}');
        } else if (v instanceof Namespace ns) {
            write(sb, ns.attributes, indent, depth);
        } else {
            throw new TemplateException("Object of type " + PyOps.typeName(v) + " is not JSON serializable");
        }
    }

    private static void separator(StringBuilder sb, int index, Integer indent, int depth) {
        if (index > 0) sb.append(indent == null ? ", " : ",");
        if (indent != null) sb.append('\n').append(" ".repeat(indent * depth));
    }

    private static StringBuilder close(StringBuilder sb, Integer indent, int depth) {
        if (indent != null) sb.append('\n').append(" ".repeat(indent * depth));
        return sb;
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
