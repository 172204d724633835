package dev.lathe.models.template;

import java.util.List;
import java.util.Map;

/**
 * A parsed Jinja template, rendered as {@code transformers} renders chat templates (Python Jinja2's
 * {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with loop controls, its
 * {@code tojson} and {@code raise_exception}).
 * <p>
 * Lathe interprets the templates itself rather than through a Java Jinja library because the output must be
 * byte-for-byte what Python produces: the available Java engines (Jinjava, Pebble) follow their own dialects —
 * no Python string methods ({@code .split}, {@code .startswith}, {@code .strip(chars)}), no Python slicing
 * ({@code messages[::-1]}), Java-style printing of None, booleans and lists, different whitespace control — so
 * real templates (Qwen's, Llama's) render differently. The subset implemented here is what chat templates use:
 * <ul>
 *   <li>statements: {@code if/elif/else}, {@code for} (tuple targets, {@code if} filter, {@code else},
 *       {@code loop.index/index0/revindex/revindex0/first/last/length/previtem/nextitem/cycle}), {@code set}
 *       (names, tuples, {@code ns.attr}, block form), {@code break}, {@code continue}, {@code generation};</li>
 *   <li>expressions: literals, lists, dicts, attribute and item access, slicing, calls with keyword arguments,
 *       {@code not and or}, {@code x if c else y}, comparisons (chained), {@code in}/{@code not in},
 *       {@code + - * / // % ** ~};</li>
 *   <li>filters: length, count, tojson(indent), string, trim, upper, lower, title, capitalize, replace, first,
 *       last, list, reverse, join, default/d, int, float, abs, items, selectattr, rejectattr, select, reject,
 *       map(attribute), safe; tests: defined, undefined, none, string, number, integer, float, boolean, true,
 *       false, mapping, sequence, iterable, callable, odd, even, divisibleby, eq/equalto, ne, in, lower, upper;
 *       globals: range, namespace, dict, raise_exception;</li>
 *   <li>methods: str's strip/lstrip/rstrip(chars), split(sep, maxsplit), startswith/endswith (str or tuple),
 *       upper, lower, title, capitalize, replace, find, count, join; dict's items, keys, values, get.</li>
 * </ul>
 * Anything else fails with a {@link TemplateException} naming it rather than rendering differently. Immutable;
 * renders may run concurrently.
 */
public final class JinjaTemplate {
    private final List<Node> nodes;

    private JinjaTemplate(List<Node> nodes) {
        this.nodes = nodes;
    }

    /** Parses {@code source}; a syntax error is a {@link TemplateException}. */
    public static JinjaTemplate parse(String source) {
        return new JinjaTemplate(TemplateParser.parse(source));
    }

    /**
     * The text for {@code variables}: Java Strings, Booleans, numbers, null (None), Lists and Maps (as Python's
     * str, bool, int/float, None, list and dict). A template error or {@code raise_exception} is a
     * {@link TemplateException}.
     */
    public String render(Map<String, ?> variables) {
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = (Map<String, Object>) variables;
        return new Renderer(vars).render(nodes);
    }
}
