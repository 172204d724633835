package dev.lathe.models.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What templates call: the filters, tests and globals of Jinja2 that chat templates use, {@code transformers}'
 * {@code raise_exception} and {@code tojson}, and the read-only methods of str and dict. Nothing here mutates a
 * value (the sandbox of {@code ImmutableSandboxedEnvironment}): a name outside these lists is undefined.
 */
final class Builtins {
    private Builtins() {}

    /** The globals every render sees. */
    static Map<String, Object> globals() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("range", (Callable) (args, kw) -> range(args));
        g.put("namespace", (Callable) (args, kw) -> {
            Namespace ns = new Namespace();
            for (Object a : args) if (a instanceof Map<?, ?> m) m.forEach((k, v) -> ns.attributes.put(PyOps.str(k), v));
            ns.attributes.putAll(kw);
            return ns;
        });
        g.put("dict", (Callable) (args, kw) -> new LinkedHashMap<Object, Object>(kw));
        g.put("raise_exception", (Callable) (args, kw) -> {
            throw new TemplateException(args.isEmpty() ? "raise_exception" : PyOps.str(args.get(0)));
        });
        return g;
    }

    private static List<Object> range(List<Object> args) {
        long start = 0, stop, step = 1;
        if (args.size() == 1) {
            stop = PyOps.toLong(args.get(0));
        } else if (args.size() == 2 || args.size() == 3) {
            start = PyOps.toLong(args.get(0));
            stop = PyOps.toLong(args.get(1));
            if (args.size() == 3) step = PyOps.toLong(args.get(2));
        } else {
            throw new TemplateException("range expects 1 to 3 arguments");
        }
        if (step == 0) throw new TemplateException("range step cannot be zero");
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
        return out;
    }

    /**
     * {@code obj.name} ({@code attrFirst}) or the attribute fallback of {@code obj["name"]}: the methods of str
     * and dict, a namespace's attributes, a dict's item; undefined when none.
     */
    static Object attribute(Object obj, String name, boolean attrFirst) {
        if (obj instanceof Namespace ns) {
            return ns.attributes.containsKey(name) ? ns.attributes.get(name) : new Undefined(name);
        }
        if (obj instanceof String s) {
            Callable m = stringMethod(s, name);
            return m != null ? m : new Undefined("str object has no attribute '" + name + "'");
        }
        if (obj instanceof Map<?, ?> map) {
            Callable m = attrFirst ? dictMethod(map, name) : null;
            if (m != null) return m;
            if (map.containsKey(name)) return map.get(name);
            return new Undefined(name);
        }
        return new Undefined(PyOps.typeName(obj) + " object has no attribute '" + name + "'");
    }

    private static Callable dictMethod(Map<?, ?> map, String name) {
        return switch (name) {
            case "items" -> (args, kw) -> {
                List<Object> items = new ArrayList<>();
                map.forEach((k, v) -> items.add(pair(k, v)));
                return items;
            };
            case "keys" -> (args, kw) -> new ArrayList<Object>(map.keySet());
            case "values" -> (args, kw) -> new ArrayList<Object>(map.values());
            case "get" -> (args, kw) -> {
                if (args.isEmpty()) throw new TemplateException("get expects a key");
                for (var e : map.entrySet()) if (PyOps.equal(e.getKey(), args.get(0))) return e.getValue();
                return args.size() > 1 ? args.get(1) : null;
            };
            default -> null;
        };
    }

    private static List<Object> pair(Object a, Object b) {
        List<Object> p = new ArrayList<>(2);
        p.add(a);
        p.add(b);
        return p;
    }

    private static Callable stringMethod(String s, String name) {
        return switch (name) {
            case "strip" -> (args, kw) -> strip(s, arg(args, 0), true, true);
            case "lstrip" -> (args, kw) -> strip(s, arg(args, 0), true, false);
            case "rstrip" -> (args, kw) -> strip(s, arg(args, 0), false, true);
            case "split" -> (args, kw) -> split(s, arg(args, 0, kw, "sep"), arg(args, 1, kw, "maxsplit"));
            case "startswith" -> (args, kw) -> affix(s, args, true);
            case "endswith" -> (args, kw) -> affix(s, args, false);
            case "upper" -> (args, kw) -> s.toUpperCase(Locale.ROOT);
            case "lower" -> (args, kw) -> s.toLowerCase(Locale.ROOT);
            case "title" -> (args, kw) -> title(s);
            case "capitalize" -> (args, kw) -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" -> (args, kw) -> replace(s, args);
            case "find" -> (args, kw) -> (long) s.indexOf(PyOps.str(args.get(0)));
            case "count" -> (args, kw) -> count(s, PyOps.str(args.get(0)));
            case "join" -> (args, kw) -> join(PyOps.iterate(args.get(0)), s);
            default -> null;
        };
    }

    private static Object arg(List<Object> args, int i) {
        return i < args.size() ? args.get(i) : null;
    }

    private static Object arg(List<Object> args, int i, Map<String, Object> kw, String name) {
        return i < args.size() ? args.get(i) : kw.get(name);
    }

    /** Python's whitespace ({@code str.isspace}). */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, Object chars, boolean left, boolean right) {
        String set = chars == null ? null : PyOps.str(chars);
        int from = 0, to = s.length();
        while (left && from < to && (set == null ? isSpace(s.charAt(from)) : set.indexOf(s.charAt(from)) >= 0)) from++;
        while (right && to > from && (set == null ? isSpace(s.charAt(to - 1)) : set.indexOf(s.charAt(to - 1)) >= 0)) to--;
        return s.substring(from, to);
    }

    /** Python's {@code str.split(sep=None, maxsplit=-1)}. */
    private static List<Object> split(String s, Object sep, Object maxsplit) {
        long max = maxsplit == null ? -1 : PyOps.toLong(maxsplit);
        List<Object> out = new ArrayList<>();
        if (sep == null) { // runs of whitespace, no empty strings
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.charAt(i))) i++;
                if (i >= s.length()) break;
                if (max >= 0 && out.size() == max) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < s.length() && !isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        String d = PyOps.str(sep);
        if (d.isEmpty()) throw new TemplateException("empty separator");
        int from = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(d, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + d.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static boolean affix(String s, List<Object> args, boolean prefix) {
        if (args.isEmpty()) throw new TemplateException((prefix ? "startswith" : "endswith") + " expects an argument");
        List<Object> options = args.get(0) instanceof List<?> l ? new ArrayList<>(l) : List.of(args.get(0));
        for (Object o : options) {
            if (!(o instanceof String a)) throw new TemplateException("startswith/endswith expects strings");
            if (prefix ? s.startsWith(a) : s.endsWith(a)) return true;
        }
        return false;
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return sb.toString();
    }

    private static String replace(String s, List<Object> args) {
        if (args.size() < 2) throw new TemplateException("replace expects old and new");
        String old = PyOps.str(args.get(0)), rep = PyOps.str(args.get(1));
        long count = args.size() > 2 ? PyOps.toLong(args.get(2)) : -1;
        if (count < 0) return s.replace(old, rep);
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (long n = 0; n < count; n++) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            sb.append(s, from, at).append(rep);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from < s.length()) sb.append(s.charAt(from));
                from++;
                if (from > s.length()) break;
            }
        }
        if (from <= s.length()) sb.append(s.substring(from));
        return sb.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) n++;
        return n;
    }

    private static String join(List<Object> items, String separator) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < items.size(); i++) sb.append(i == 0 ? "" : separator).append(PyOps.str(items.get(i)));
        return sb.toString();
    }

    /** {@code value | name(args, kw)}. */
    static Object filter(String name, Object v, List<Object> args, Map<String, Object> kw, Tester tests) {
        switch (name) {
            case "length", "count" -> {
                return PyOps.length(v);
            }
            case "tojson" -> {
                Object indent = arg(args, 0, kw, "indent");
                return PyJson.dumps(v instanceof Undefined ? null : v, indent == null ? null : (int) PyOps.toLong(indent));
            }
            case "string" -> {
                return PyOps.str(v);
            }
            case "safe", "e", "escape" -> {
                return v;
            }
            case "trim" -> {
                return strip(PyOps.str(v), arg(args, 0, kw, "chars"), true, true);
            }
            case "upper" -> {
                return PyOps.str(v).toUpperCase(Locale.ROOT);
            }
            case "lower" -> {
                return PyOps.str(v).toLowerCase(Locale.ROOT);
            }
            case "title" -> {
                return title(PyOps.str(v));
            }
            case "capitalize" -> {
                String s = PyOps.str(v);
                return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            }
            case "replace" -> {
                return replace(PyOps.str(v), args);
            }
            case "first" -> {
                List<Object> items = PyOps.iterate(v);
                return items.isEmpty() ? new Undefined("first of an empty sequence") : items.get(0);
            }
            case "last" -> {
                List<Object> items = PyOps.iterate(v);
                return items.isEmpty() ? new Undefined("last of an empty sequence") : items.get(items.size() - 1);
            }
            case "list" -> {
                return PyOps.iterate(v);
            }
            case "reverse" -> {
                if (v instanceof String s) return new StringBuilder(s).reverse().toString();
                List<Object> items = PyOps.iterate(v);
                java.util.Collections.reverse(items);
                return items;
            }
            case "join" -> {
                Object attribute = arg(args, 1, kw, "attribute");
                List<Object> items = PyOps.iterate(v);
                if (attribute != null) items.replaceAll(o -> PyOps.item(o, attribute));
                Object sep = arg(args, 0, kw, "d");
                return join(items, sep == null ? "" : PyOps.str(sep));
            }
            case "default", "d" -> {
                Object fallback = args.isEmpty() ? "" : args.get(0);
                boolean onFalse = PyOps.truthy(arg(args, 1, kw, "boolean"));
                return v instanceof Undefined || (onFalse && !PyOps.truthy(v)) ? fallback : v;
            }
            case "int" -> {
                if (v instanceof String s) {
                    try {
                        return Long.parseLong(s.strip());
                    } catch (NumberFormatException e) {
                        return args.isEmpty() ? 0L : args.get(0);
                    }
                }
                return PyOps.isNumber(v) ? (Object) (long) PyOps.toDouble(v) : (args.isEmpty() ? 0L : args.get(0));
            }
            case "float" -> {
                if (v instanceof String s) {
                    try {
                        return Double.parseDouble(s.strip());
                    } catch (NumberFormatException e) {
                        return 0.0;
                    }
                }
                return PyOps.isNumber(v) ? PyOps.toDouble(v) : 0.0;
            }
            case "abs" -> {
                return v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(PyOps.toLong(v));
            }
            case "items" -> {
                if (v instanceof Undefined) return List.of();
                if (!(v instanceof Map<?, ?> map)) throw new TemplateException("items expects a mapping");
                List<Object> out = new ArrayList<>();
                map.forEach((k, x) -> out.add(pair(k, x)));
                return out;
            }
            case "selectattr", "rejectattr" -> {
                boolean select = name.equals("selectattr");
                String attribute = PyOps.str(args.get(0));
                List<Object> out = new ArrayList<>();
                for (Object o : PyOps.iterate(v)) {
                    Object a = PyOps.item(o, attribute);
                    boolean passes = args.size() < 2 ? PyOps.truthy(a)
                            : tests.test(PyOps.str(args.get(1)), a, args.subList(2, args.size()));
                    if (passes == select) out.add(o);
                }
                return out;
            }
            case "select", "reject" -> {
                boolean select = name.equals("select");
                List<Object> out = new ArrayList<>();
                for (Object o : PyOps.iterate(v)) {
                    boolean passes = args.isEmpty() ? PyOps.truthy(o)
                            : tests.test(PyOps.str(args.get(0)), o, args.subList(1, args.size()));
                    if (passes == select) out.add(o);
                }
                return out;
            }
            case "map" -> {
                Object attribute = kw.get("attribute");
                if (attribute == null) throw new TemplateException("map supports only attribute=...");
                List<Object> out = new ArrayList<>();
                for (Object o : PyOps.iterate(v)) {
                    Object a = PyOps.item(o, attribute);
                    out.add(a instanceof Undefined && kw.containsKey("default") ? kw.get("default") : a);
                }
                return out;
            }
            default -> throw new TemplateException("no filter named '" + name + "'");
        }
    }

    /** Evaluates a test by name, for the filters that take one. */
    @FunctionalInterface
    interface Tester {
        boolean test(String name, Object value, List<Object> args);
    }

    /** {@code value is name(args)}. */
    static boolean test(String name, Object v, List<Object> args) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "string" -> v instanceof String;
            case "number" -> v instanceof Long || v instanceof Double;
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "mapping" -> v instanceof Map || v instanceof Namespace;
            case "sequence" -> v instanceof List || v instanceof String || v instanceof Map;
            case "iterable" -> v instanceof List || v instanceof String || v instanceof Map;
            case "callable" -> v instanceof Callable;
            case "odd" -> PyOps.toLong(v) % 2 != 0;
            case "even" -> PyOps.toLong(v) % 2 == 0;
            case "divisibleby" -> PyOps.toLong(v) % PyOps.toLong(args.get(0)) == 0;
            case "eq", "equalto", "==" -> PyOps.equal(v, args.get(0));
            case "ne", "!=" -> !PyOps.equal(v, args.get(0));
            case "in" -> PyOps.contains(args.get(0), v);
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
            default -> throw new TemplateException("no test named '" + name + "'");
        };
    }
}
