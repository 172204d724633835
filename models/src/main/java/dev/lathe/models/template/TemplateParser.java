package dev.lathe.models.template;

import dev.lathe.models.template.TemplateLexer.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Builds the node tree from the lexer's segments, with Jinja2's expression grammar and precedence (loosest
 * first): {@code x if c else y}, {@code or}, {@code and}, {@code not}, comparisons and {@code in}, {@code + -},
 * {@code ~}, {@code * / // %}, {@code **}, unary {@code - +}, then a primary with its postfixes ({@code .name},
 * {@code [key]}, {@code [a:b:c]}, calls) and its filters and tests ({@code | f}, {@code is t}).
 */
final class TemplateParser {
    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", "<=", ">", ">=");
    private static final Set<String> NOT_A_TEST_ARGUMENT = Set.of("and", "or", "else", "if", "in", "not", "is");

    private final List<Segment> segments;
    private int seg;
    /** Tokens of the tag being parsed and the position in them. */
    private List<Token> tokens;
    private int at;

    private TemplateParser(List<Segment> segments) {
        this.segments = segments;
    }

    static List<Node> parse(String source) {
        TemplateParser p = new TemplateParser(TemplateLexer.lex(source));
        List<Node> body = new ArrayList<>();
        String end = p.body(body, Set.of());
        if (end != null) throw new TemplateException("unexpected {% " + end + " %}");
        return body;
    }

    /**
     * Parses nodes into {@code out} until a statement whose keyword is in {@code enders}; returns that keyword
     * (its tag's tokens left to read) or null at the end of the template.
     */
    private String body(List<Node> out, Set<String> enders) {
        while (seg < segments.size()) {
            Segment s = segments.get(seg++);
            switch (s.type()) {
                case TEXT -> out.add(new Node.Text(s.text()));
                case OUTPUT -> {
                    begin(s);
                    out.add(new Node.Output(expression()));
                    end();
                }
                case STATEMENT -> {
                    begin(s);
                    Token first = next();
                    if (first.kind() != Token.Kind.NAME) throw new TemplateException("a statement must start with a keyword");
                    if (enders.contains(first.text())) return first.text();
                    out.add(statement(first.text()));
                }
            }
        }
        if (!enders.isEmpty()) throw new TemplateException("missing {% " + String.join(" / ", enders) + " %}");
        return null;
    }

    private Node statement(String keyword) {
        switch (keyword) {
            case "if" -> {
                List<Expr> conditions = new ArrayList<>();
                List<List<Node>> bodies = new ArrayList<>();
                List<Node> otherwise = new ArrayList<>();
                conditions.add(expression());
                end();
                while (true) {
                    List<Node> b = new ArrayList<>();
                    String ender = body(b, Set.of("elif", "else", "endif"));
                    bodies.add(b);
                    if (ender.equals("elif")) {
                        conditions.add(expression());
                        end();
                    } else {
                        end();
                        if (ender.equals("else")) {
                            body(otherwise, Set.of("endif"));
                            end();
                        }
                        return new Node.If(conditions, bodies, otherwise);
                    }
                }
            }
            case "for" -> {
                List<String> targets = names();
                expectName("in");
                Expr iterable = condition();
                Expr filter = null;
                if (peek() != null && peek().isName("if")) {
                    next();
                    filter = condition();
                }
                end();
                List<Node> body = new ArrayList<>(), otherwise = new ArrayList<>();
                String ender = body(body, Set.of("else", "endfor"));
                end();
                if (ender.equals("else")) {
                    body(otherwise, Set.of("endfor"));
                    end();
                }
                return new Node.For(targets, iterable, filter, body, otherwise);
            }
            case "set" -> {
                List<String> targets = names();
                String attr = null;
                if (targets.size() == 1 && peek() != null && peek().is(".")) {
                    next();
                    attr = name();
                }
                if (peek() == null && targets.size() == 1 && attr == null) {
                    List<Node> body = new ArrayList<>();
                    body(body, Set.of("endset"));
                    end();
                    return new Node.SetBlock(targets.get(0), body);
                }
                expect("=");
                Expr value = tupleOrExpression();
                end();
                return new Node.Set(targets, attr, value);
            }
            case "generation" -> {
                end();
                List<Node> body = new ArrayList<>();
                body(body, Set.of("endgeneration"));
                end();
                return new Node.Block(body);
            }
            case "break" -> {
                end();
                return new Node.Break();
            }
            case "continue" -> {
                end();
                return new Node.Continue();
            }
            default -> throw new TemplateException("unsupported statement {% " + keyword + " %}");
        }
    }

    // ---- token stream of one tag

    private void begin(Segment s) {
        tokens = s.tokens();
        at = 0;
    }

    private void end() {
        if (at < tokens.size()) throw new TemplateException("unexpected '" + tokens.get(at).text() + "' in a tag");
    }

    private Token peek() {
        return at < tokens.size() ? tokens.get(at) : null;
    }

    private Token peek(int ahead) {
        return at + ahead < tokens.size() ? tokens.get(at + ahead) : null;
    }

    private Token next() {
        if (at >= tokens.size()) throw new TemplateException("a tag ends too early");
        return tokens.get(at++);
    }

    private boolean skip(String op) {
        if (peek() != null && peek().is(op)) {
            at++;
            return true;
        }
        return false;
    }

    private boolean skipName(String name) {
        if (peek() != null && peek().isName(name)) {
            at++;
            return true;
        }
        return false;
    }

    private void expect(String op) {
        Token t = next();
        if (!t.is(op)) throw new TemplateException("expected '" + op + "', found '" + t.text() + "'");
    }

    private void expectName(String name) {
        Token t = next();
        if (!t.isName(name)) throw new TemplateException("expected '" + name + "', found '" + t.text() + "'");
    }

    private String name() {
        Token t = next();
        if (t.kind() != Token.Kind.NAME) throw new TemplateException("expected a name, found '" + t.text() + "'");
        return t.text();
    }

    /** {@code a} or {@code a, b, ...} (loop and assignment targets). */
    private List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(name());
        while (skip(",")) names.add(name());
        return names;
    }

    // ---- expressions

    /** An expression, or a tuple of them when commas follow (the right side of {@code set a, b = ...}). */
    private Expr tupleOrExpression() {
        Expr first = expression();
        if (peek() == null || !peek().is(",")) return first;
        List<Expr> items = new ArrayList<>(List.of(first));
        while (skip(",")) items.add(expression());
        return new Expr.ListOf(items);
    }

    private Expr expression() {
        Expr e = or();
        while (skipName("if")) {
            Expr condition = or();
            Expr otherwise = skipName("else") ? expression() : null;
            e = new Expr.Conditional(condition, e, otherwise);
        }
        return e;
    }

    /** An expression without a trailing {@code if} (for-loop iterables and filters). */
    private Expr condition() {
        return or();
    }

    private Expr or() {
        Expr e = and();
        while (skipName("or")) e = new Expr.Logic(false, e, and());
        return e;
    }

    private Expr and() {
        Expr e = not();
        while (skipName("and")) e = new Expr.Logic(true, e, not());
        return e;
    }

    private Expr not() {
        if (peek() != null && peek().isName("not") && !(peek(1) != null && peek(1).isName("in"))) {
            next();
            return new Expr.Unary("not", not());
        }
        return compare();
    }

    private Expr compare() {
        Expr first = math1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (peek() != null) {
            Token t = peek();
            if (t.kind() == Token.Kind.OP && COMPARISONS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1) != null && peek(1).isName("in")) {
                at += 2;
                ops.add("not in");
            } else {
                break;
            }
            rest.add(math1());
        }
        return ops.isEmpty() ? first : new Expr.Compare(first, ops, rest);
    }

    private Expr math1() {
        Expr e = concat();
        while (peek() != null && (peek().is("+") || peek().is("-"))) e = new Expr.Binary(next().text(), e, concat());
        return e;
    }

    private Expr concat() {
        Expr e = math2();
        while (skip("~")) e = new Expr.Binary("~", e, math2());
        return e;
    }

    private Expr math2() {
        Expr e = pow();
        while (peek() != null && (peek().is("*") || peek().is("/") || peek().is("//") || peek().is("%"))) {
            e = new Expr.Binary(next().text(), e, pow());
        }
        return e;
    }

    private Expr pow() {
        Expr e = unary(true);
        while (skip("**")) e = new Expr.Binary("**", e, unary(true));
        return e;
    }

    private Expr unary(boolean withFilter) {
        Expr e;
        if (skip("-")) e = new Expr.Unary("-", unary(false));
        else if (skip("+")) e = new Expr.Unary("+", unary(false));
        else e = primary();
        e = postfix(e);
        return withFilter ? filters(e) : e;
    }

    private Expr primary() {
        Token t = next();
        switch (t.kind()) {
            case STRING -> {
                StringBuilder s = new StringBuilder(t.text());
                while (peek() != null && peek().kind() == Token.Kind.STRING) s.append(next().text());
                return new Expr.Literal(s.toString());
            }
            case INT -> {
                return new Expr.Literal(Long.parseLong(t.text()));
            }
            case FLOAT -> {
                return new Expr.Literal(Double.parseDouble(t.text()));
            }
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Literal(Boolean.TRUE);
                    case "false", "False" -> new Expr.Literal(Boolean.FALSE);
                    case "none", "None" -> new Expr.Literal(null);
                    default -> new Expr.Name(t.text());
                };
            }
            case OP -> {
                if (t.is("(")) {
                    if (skip(")")) return new Expr.ListOf(List.of());
                    Expr first = expression();
                    if (skip(")")) return first;
                    List<Expr> items = new ArrayList<>(List.of(first));
                    while (skip(",") && !peek().is(")")) items.add(expression());
                    expect(")");
                    return new Expr.ListOf(items);
                }
                if (t.is("[")) {
                    List<Expr> items = new ArrayList<>();
                    while (!skip("]")) {
                        if (!items.isEmpty()) expect(",");
                        if (skip("]")) break;
                        items.add(expression());
                    }
                    return new Expr.ListOf(items);
                }
                if (t.is("{")) {
                    List<Expr> keys = new ArrayList<>(), values = new ArrayList<>();
                    while (!skip("}")) {
                        if (!keys.isEmpty()) expect(",");
                        if (skip("}")) break;
                        keys.add(expression());
                        expect(":");
                        values.add(expression());
                    }
                    return new Expr.DictOf(keys, values);
                }
            }
        }
        throw new TemplateException("unexpected '" + t.text() + "' in an expression");
    }

    private Expr postfix(Expr e) {
        while (peek() != null) {
            if (skip(".")) {
                Token t = next();
                if (t.kind() == Token.Kind.INT) e = new Expr.Item(e, new Expr.Literal(Long.parseLong(t.text())));
                else if (t.kind() == Token.Kind.NAME) e = new Expr.Attr(e, t.text());
                else throw new TemplateException("expected a name after '.', found '" + t.text() + "'");
            } else if (skip("[")) {
                e = subscript(e);
            } else if (peek().is("(")) {
                e = call(e);
            } else {
                break;
            }
        }
        return e;
    }

    /** After '[': an item or a slice, through ']'. */
    private Expr subscript(Expr obj) {
        Expr start = null, stop = null, step = null;
        if (!peek().is(":")) start = expression();
        if (skip("]")) return new Expr.Item(obj, start);
        expect(":");
        if (!peek().is(":") && !peek().is("]")) stop = expression();
        if (skip(":") && !peek().is("]")) step = expression();
        expect("]");
        return new Expr.Slice(obj, start, stop, step);
    }

    private Expr call(Expr callee) {
        Args a = arguments();
        return new Expr.Call(callee, a.args, a.kwNames, a.kwValues);
    }

    private record Args(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {}

    /** {@code (a, b, name=c)}, starting at '('. */
    private Args arguments() {
        expect("(");
        Args a = new Args(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        while (!skip(")")) {
            if (!a.args.isEmpty() || !a.kwNames.isEmpty()) {
                expect(",");
                if (skip(")")) break;
            }
            if (peek().kind() == Token.Kind.NAME && peek(1) != null && peek(1).is("=")) {
                a.kwNames.add(next().text());
                next();
                a.kwValues.add(expression());
            } else {
                if (!a.kwNames.isEmpty()) throw new TemplateException("a positional argument follows a keyword one");
                a.args.add(expression());
            }
        }
        return a;
    }

    private Expr filters(Expr e) {
        while (peek() != null) {
            if (skip("|")) {
                String name = name();
                while (skip(".")) name += "." + name();
                Args a = peek() != null && peek().is("(") ? arguments() : new Args(List.of(), List.of(), List.of());
                e = new Expr.Filter(e, name, a.args, a.kwNames, a.kwValues);
            } else if (skipName("is")) {
                boolean negated = skipName("not");
                String name = name();
                List<Expr> args = new ArrayList<>();
                Token t = peek();
                if (t != null && t.is("(")) {
                    args.addAll(arguments().args);
                } else if (t != null && (t.kind() == Token.Kind.STRING || t.kind() == Token.Kind.INT
                        || t.kind() == Token.Kind.FLOAT || t.is("[") || t.is("{")
                        || (t.kind() == Token.Kind.NAME && !NOT_A_TEST_ARGUMENT.contains(t.text())))) {
                    args.add(postfix(primary()));
                }
                e = new Expr.Test(e, name, args, negated);
            } else if (peek().is("(")) {
                e = call(e);
            } else {
                break;
            }
        }
        return e;
    }
}
