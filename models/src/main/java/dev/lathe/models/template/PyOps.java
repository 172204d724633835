package dev.lathe.models.template;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's semantics for template values, which are: null (None), {@link Undefined}, Boolean, Long (int),
 * Double (float), String, List (list and tuple), Map (dict, insertion-ordered), {@link Namespace},
 * {@link Callable}. Truth, {@code str()}, {@code repr()}, equality, ordering, arithmetic, {@code in},
 * iteration and indexing follow Python 3.
 */
final class PyOps {
    private PyOps() {}

    /** Java values from the caller as template values: Integer and other whole numbers become Long, etc. */
    static Object fromJava(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double
                || v instanceof Undefined || v instanceof Namespace || v instanceof Callable) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Float f) return f.doubleValue();
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object o : list) out.add(fromJava(o));
            return out;
        }
        if (v instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (var e : map.entrySet()) out.put(fromJava(e.getKey()), fromJava(e.getValue()));
            return out;
        }
        throw new TemplateException("a template cannot use a value of " + v.getClass().getName());
    }

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof Long l) return l != 0;
        if (v instanceof Double d) return d != 0;
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof List<?> l) return !l.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    static String typeName(Object v) {
        if (v == null) return "NoneType";
        if (v instanceof Undefined) return "Undefined";
        if (v instanceof Boolean) return "bool";
        if (v instanceof Long) return "int";
        if (v instanceof Double) return "float";
        if (v instanceof String) return "str";
        if (v instanceof List) return "list";
        if (v instanceof Map) return "dict";
        if (v instanceof Namespace) return "Namespace";
        return "function";
    }

    /** Python's {@code str()}; an undefined value prints as nothing (Jinja's output of it). */
    static String str(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof Undefined) return "";
        return repr(v);
    }

    static String repr(Object v) {
        if (v == null) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof Long l) return l.toString();
        if (v instanceof Double d) return floatRepr(d);
        if (v instanceof String s) return stringRepr(s);
        if (v instanceof Undefined) return "";
        if (v instanceof List<?> list) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < list.size(); i++) sb.append(i == 0 ? "" : ", ").append(repr(list.get(i)));
            return sb.append(']').toString();
        }
        if (v instanceof Map<?, ?> map) {
            StringBuilder sb = new StringBuilder("{");
            int i = 0;
            for (var e : map.entrySet()) {
                sb.append(i++ == 0 ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return sb.append('}').toString();
        }
        if (v instanceof Namespace ns) return "<Namespace " + repr(ns.attributes) + ">";
        return "<function>";
    }

    /** Python's float repr: the shortest digits that round-trip, with ".0" on whole values. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == Math.rint(d) && Math.abs(d) < 1e16) return (1 / d < 0 && d == 0 ? "-" : "") + (long) d + ".0";
        BigDecimal shortest = new BigDecimal(Double.toString(d));
        int exponent = shortest.precision() - shortest.scale() - 1;
        if (exponent < -4 || exponent >= 16) {
            String digits = shortest.unscaledValue().abs().toString().replaceAll("0+$", "");
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        return shortest.toPlainString();
    }

    private static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == quote || c == '\\') sb.append('\\').append(c);
            else if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (c < 0x20 || c == 0x7F) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.append(quote).toString();
    }

    /** Python's {@code ==}: numbers by value (True == 1), lists and dicts element by element. */
    static boolean equal(Object a, Object b) {
        if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
        if (a == null || b == null) return a == b;
        if (isNumber(a) && isNumber(b)) {
            return a instanceof Double || b instanceof Double ? toDouble(a) == toDouble(b) : toLong(a) == toLong(b);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!equal(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (var e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()))) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    /** Python's ordering of numbers, strings (by code point) and lists; anything else is a TypeError. */
    static int compare(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) {
            return a instanceof Double || b instanceof Double ? Double.compare(toDouble(a), toDouble(b))
                    : Long.compare(toLong(a), toLong(b));
        }
        if (a instanceof String x && b instanceof String y) return x.compareTo(y);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!equal(x.get(i), y.get(i))) return compare(x.get(i), y.get(i));
            }
            return Integer.compare(x.size(), y.size());
        }
        throw new TemplateException("cannot compare " + typeName(a) + " with " + typeName(b));
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static long toLong(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).longValue();
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).doubleValue();
    }

    static Object binary(String op, Object a, Object b) {
        if (op.equals("~")) return str(a) + str(b);
        if (a instanceof Undefined u) throw u.error();
        if (b instanceof Undefined u) throw u.error();
        if (op.equals("+")) {
            if (a instanceof String x && b instanceof String y) return x + y;
            if (a instanceof List<?> x && b instanceof List<?> y) {
                List<Object> out = new ArrayList<>(x);
                out.addAll(y);
                return out;
            }
        }
        if (op.equals("*") && (a instanceof String || a instanceof List) && b instanceof Long n) return repeat(a, n);
        if (op.equals("*") && (b instanceof String || b instanceof List) && a instanceof Long n) return repeat(b, n);
        if (!isNumber(a) || !isNumber(b)) {
            throw new TemplateException("unsupported operand types for " + op + ": " + typeName(a) + " and " + typeName(b));
        }
        boolean floats = a instanceof Double || b instanceof Double;
        switch (op) {
            case "+" -> { return floats ? (Object) (toDouble(a) + toDouble(b)) : (Object) (toLong(a) + toLong(b)); }
            case "-" -> { return floats ? (Object) (toDouble(a) - toDouble(b)) : (Object) (toLong(a) - toLong(b)); }
            case "*" -> { return floats ? (Object) (toDouble(a) * toDouble(b)) : (Object) (toLong(a) * toLong(b)); }
            case "/" -> {
                if (toDouble(b) == 0) throw new TemplateException("division by zero");
                return toDouble(a) / toDouble(b);
            }
            case "//" -> {
                if (toDouble(b) == 0) throw new TemplateException("division by zero");
                return floats ? (Object) Math.floor(toDouble(a) / toDouble(b)) : (Object) Math.floorDiv(toLong(a), toLong(b));
            }
            case "%" -> {
                if (toDouble(b) == 0) throw new TemplateException("modulo by zero");
                if (!floats) return Math.floorMod(toLong(a), toLong(b));
                double x = toDouble(a), y = toDouble(b), r = x % y;
                return r != 0 && (r < 0) != (y < 0) ? r + y : r;
            }
            case "**" -> {
                if (!floats && toLong(b) >= 0) {
                    long r = 1, base = toLong(a);
                    for (long i = 0; i < toLong(b); i++) r *= base;
                    return r;
                }
                return Math.pow(toDouble(a), toDouble(b));
            }
            default -> throw new TemplateException("unknown operator " + op);
        }
    }

    private static Object repeat(Object seq, long n) {
        if (seq instanceof String s) return n <= 0 ? "" : s.repeat((int) n);
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < n; i++) out.addAll((List<?>) seq);
        return out;
    }

    /** Python's {@code needle in haystack}: substring, list element or dict key. */
    static boolean contains(Object haystack, Object needle) {
        if (haystack instanceof String s) {
            if (!(needle instanceof String n)) throw new TemplateException("'in <string>' requires a string on the left");
            return s.contains(n);
        }
        if (haystack instanceof List<?> list) {
            for (Object o : list) if (equal(o, needle)) return true;
            return false;
        }
        if (haystack instanceof Map<?, ?> map) {
            for (Object k : map.keySet()) if (equal(k, needle)) return true;
            return false;
        }
        if (haystack instanceof Undefined u) throw u.error();
        throw new TemplateException("argument of type '" + typeName(haystack) + "' is not iterable");
    }

    /** The items a for-loop visits: a list's elements, a dict's keys, a string's characters; undefined: none. */
    static List<Object> iterate(Object v) {
        if (v instanceof List<?> list) return new ArrayList<>(list);
        if (v instanceof Map<?, ?> map) return new ArrayList<>(map.keySet());
        if (v instanceof String s) {
            List<Object> chars = new ArrayList<>();
            for (Iterator<Integer> it = s.codePoints().iterator(); it.hasNext(); ) chars.add(Character.toString(it.next()));
            return chars;
        }
        if (v instanceof Undefined) return List.of();
        throw new TemplateException("'" + typeName(v) + "' object is not iterable");
    }

    /** Python's {@code len()}. */
    static long length(Object v) {
        if (v instanceof String s) return s.codePointCount(0, s.length());
        if (v instanceof List<?> l) return l.size();
        if (v instanceof Map<?, ?> m) return m.size();
        if (v instanceof Undefined) return 0;
        throw new TemplateException("object of type '" + typeName(v) + "' has no len()");
    }

    /** {@code obj[key]} as Jinja evaluates it: the item, else an attribute of that name, else undefined. */
    static Object item(Object obj, Object key) {
        if (obj instanceof Undefined u) throw u.error();
        if (obj instanceof List<?> list && isNumber(key) && !(key instanceof Double)) {
            long i = toLong(key);
            if (i < 0) i += list.size();
            return i >= 0 && i < list.size() ? list.get((int) i) : new Undefined("list object has no element " + key);
        }
        if (obj instanceof String s && isNumber(key) && !(key instanceof Double)) {
            List<Object> chars = iterate(s);
            long i = toLong(key);
            if (i < 0) i += chars.size();
            return i >= 0 && i < chars.size() ? chars.get((int) i) : new Undefined("string has no index " + key);
        }
        if (obj instanceof Map<?, ?> map) {
            for (var e : map.entrySet()) if (equal(e.getKey(), key)) return e.getValue();
        }
        if (key instanceof String name) return Builtins.attribute(obj, name, false);
        return new Undefined(typeName(obj) + " object has no element " + repr(key));
    }

    /** {@code obj.name}: an attribute (a method), else the item of that name, else undefined. */
    static Object attr(Object obj, String name) {
        if (obj instanceof Undefined u) throw u.error();
        return Builtins.attribute(obj, name, true);
    }

    /** Python's slicing of lists and strings, with negative and absent bounds and steps. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        List<Object> items;
        if (obj instanceof String s) items = iterate(s);
        else if (obj instanceof List<?> l) items = new ArrayList<>(l);
        else if (obj instanceof Undefined u) throw u.error();
        else throw new TemplateException("'" + typeName(obj) + "' object is not subscriptable");
        int n = items.size();
        long st = step == null ? 1 : toLong(step);
        if (st == 0) throw new TemplateException("slice step cannot be zero");
        long lo, hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(toLong(start), n, 0, n);
            hi = stop == null ? n : clamp(toLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(toLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(toLong(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) out.add(items.get((int) i));
        if (obj instanceof String) {
            StringBuilder sb = new StringBuilder();
            for (Object c : out) sb.append((String) c);
            return sb.toString();
        }
        return out;
    }

    private static long clamp(long index, int n, long min, long max) {
        if (index < 0) index += n;
        return Math.max(min, Math.min(max, index));
    }
}
