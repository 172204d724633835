package dev.lathe.train.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code --flag value}, {@code --flag=value} and bare {@code --switch} arguments, plus positionals. Every flag a
 * command reads is marked used; {@link #rejectUnknown()} turns typos into a usage error.
 */
public final class Args {
    private final Map<String, String> flags = new LinkedHashMap<>();
    private final List<String> positionals = new ArrayList<>();
    private final Set<String> used = new TreeSet<>();

    private Args() {}

    /** Parses {@code argv}; a flag followed by another flag (or nothing) is a switch with value "true". */
    public static Args parse(List<String> argv) {
        Args a = new Args();
        for (int i = 0; i < argv.size(); i++) {
            String s = argv.get(i);
            if (s.startsWith("--") && s.length() > 2) {
                String body = s.substring(2);
                int eq = body.indexOf('=');
                if (eq >= 0) {
                    a.flags.put(body.substring(0, eq), body.substring(eq + 1));
                } else if (i + 1 < argv.size() && !argv.get(i + 1).startsWith("--")) {
                    a.flags.put(body, argv.get(++i));
                } else {
                    a.flags.put(body, "true");
                }
            } else {
                a.positionals.add(s);
            }
        }
        return a;
    }

    /**
     * These arguments with {@code fallbacks} (flag to value) added for every flag not given here: a config
     * file's values under the command line's.
     */
    public Args withFallbacks(Map<String, String> fallbacks) {
        Args a = new Args();
        a.flags.putAll(fallbacks);
        a.flags.putAll(flags);
        a.positionals.addAll(positionals);
        a.used.addAll(used);
        return a;
    }

    public boolean has(String flag) {
        used.add(flag);
        return flags.containsKey(flag);
    }

    public String string(String flag, String fallback) {
        used.add(flag);
        return flags.getOrDefault(flag, fallback);
    }

    public int integer(String flag, int fallback) {
        String v = string(flag, null);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + flag + " expects an integer, got '" + v + "'");
        }
    }

    public double number(String flag, double fallback) {
        String v = string(flag, null);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + flag + " expects a number, got '" + v + "'");
        }
    }

    public boolean bool(String flag) {
        String v = string(flag, "false");
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new UsageException("--" + flag + " expects true or false, got '" + v + "'");
        };
    }

    public List<String> positionals() {
        return List.copyOf(positionals);
    }

    /** Fails on any flag the command never asked about. */
    public void rejectUnknown() {
        for (String f : flags.keySet()) {
            if (!used.contains(f)) throw new UsageException("unknown flag --" + f);
        }
    }
}
