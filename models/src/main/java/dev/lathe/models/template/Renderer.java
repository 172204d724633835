package dev.lathe.models.template;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Executes a parsed template. Scopes follow Jinja2: a for-loop body gets a fresh scope on each iteration, so a
 * {@code set} inside a loop is not seen after it (a {@link Namespace} carries state out); {@code if} bodies share
 * their enclosing scope. {@code break} and {@code continue} end the innermost loop's iteration.
 */
final class Renderer {
    /** Thrown through the body by {@code break} / {@code continue} to the loop that runs it. */
    private static final class LoopSignal extends RuntimeException {
        final boolean isBreak;

        LoopSignal(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private final List<Map<String, Object>> scopes = new ArrayList<>();
    private final StringBuilder out = new StringBuilder();

    Renderer(Map<String, Object> variables) {
        scopes.add(Builtins.globals());
        Map<String, Object> top = new HashMap<>();
        variables.forEach((k, v) -> top.put(k, PyOps.fromJava(v)));
        scopes.add(top);
    }

    String render(List<Node> nodes) {
        try {
            run(nodes);
        } catch (LoopSignal s) {
            throw new TemplateException((s.isBreak ? "break" : "continue") + " outside a loop");
        }
        return out.toString();
    }

    private void run(List<Node> nodes) {
        for (Node n : nodes) run(n);
    }

    private void run(Node node) {
        switch (node) {
            case Node.Text t -> out.append(t.text());
            case Node.Output o -> out.append(PyOps.str(eval(o.value())));
            case Node.If i -> {
                for (int b = 0; b < i.conditions().size(); b++) {
                    if (PyOps.truthy(eval(i.conditions().get(b)))) {
                        run(i.bodies().get(b));
                        return;
                    }
                }
                run(i.otherwise());
            }
            case Node.For f -> loop(f);
            case Node.Set s -> assign(s);
            case Node.SetBlock s -> {
                int mark = out.length();
                run(s.body());
                String text = out.substring(mark);
                out.setLength(mark);
                scopes.get(scopes.size() - 1).put(s.target(), text);
            }
            case Node.Block b -> run(b.body());
            case Node.Break b -> throw new LoopSignal(true);
            case Node.Continue c -> throw new LoopSignal(false);
        }
    }

    private void loop(Node.For f) {
        List<Object> items = PyOps.iterate(eval(f.iterable()));
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                scopes.add(bind(f.targets(), item));
                try {
                    if (PyOps.truthy(eval(f.filter()))) kept.add(item);
                } finally {
                    scopes.remove(scopes.size() - 1);
                }
            }
            items = kept;
        }
        if (items.isEmpty()) {
            run(f.otherwise());
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            Map<String, Object> scope = bind(f.targets(), items.get(i));
            scope.put("loop", loopInfo(items, i));
            scopes.add(scope);
            try {
                run(f.body());
            } catch (LoopSignal s) {
                if (s.isBreak) break;
            } finally {
                scopes.remove(scopes.size() - 1);
            }
        }
    }

    /** Jinja's {@code loop} variable, a read-only mapping. */
    private static Map<Object, Object> loopInfo(List<Object> items, int i) {
        int n = items.size();
        Map<Object, Object> loop = new LinkedHashMap<>();
        loop.put("index", (long) i + 1);
        loop.put("index0", (long) i);
        loop.put("revindex", (long) (n - i));
        loop.put("revindex0", (long) (n - i - 1));
        loop.put("first", i == 0);
        loop.put("last", i == n - 1);
        loop.put("length", (long) n);
        loop.put("depth", 1L);
        loop.put("depth0", 0L);
        loop.put("previtem", i > 0 ? items.get(i - 1) : new Undefined("loop.previtem"));
        loop.put("nextitem", i + 1 < n ? items.get(i + 1) : new Undefined("loop.nextitem"));
        loop.put("cycle", (Callable) (args, kw) -> {
            if (args.isEmpty()) throw new TemplateException("loop.cycle needs values");
            return args.get(i % args.size());
        });
        return loop;
    }

    private static Map<String, Object> bind(List<String> targets, Object item) {
        Map<String, Object> scope = new HashMap<>();
        if (targets.size() == 1) {
            scope.put(targets.get(0), item);
            return scope;
        }
        List<Object> parts = PyOps.iterate(item);
        if (parts.size() != targets.size()) {
            throw new TemplateException("cannot unpack " + parts.size() + " values into " + targets.size() + " names");
        }
        for (int k = 0; k < targets.size(); k++) scope.put(targets.get(k), parts.get(k));
        return scope;
    }

    private void assign(Node.Set s) {
        Object value = eval(s.value());
        if (s.attr() != null) {
            Object target = lookup(s.targets().get(0));
            if (!(target instanceof Namespace ns)) {
                throw new TemplateException("cannot set an attribute of " + PyOps.typeName(target) + " (only a namespace)");
            }
            ns.attributes.put(s.attr(), value);
            return;
        }
        scopes.get(scopes.size() - 1).putAll(bind(s.targets(), value));
    }

    private Object lookup(String name) {
        for (int i = scopes.size() - 1; i >= 0; i--) {
            Map<String, Object> scope = scopes.get(i);
            if (scope.containsKey(name)) return scope.get(name);
        }
        return new Undefined(name);
    }

    private Object eval(Expr e) {
        return switch (e) {
            case Expr.Literal l -> l.value();
            case Expr.Name n -> lookup(n.name());
            case Expr.ListOf l -> {
                List<Object> items = new ArrayList<>(l.items().size());
                for (Expr item : l.items()) items.add(eval(item));
                yield items;
            }
            case Expr.DictOf d -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) map.put(eval(d.keys().get(i)), eval(d.values().get(i)));
                yield map;
            }
            case Expr.Attr a -> PyOps.attr(eval(a.obj()), a.name());
            case Expr.Item i -> PyOps.item(eval(i.obj()), eval(i.key()));
            case Expr.Slice s -> PyOps.slice(eval(s.obj()), optional(s.start()), optional(s.stop()), optional(s.step()));
            case Expr.Call c -> {
                Object callee = eval(c.callee());
                if (callee instanceof Undefined u) throw u.error();
                if (!(callee instanceof Callable f)) throw new TemplateException(PyOps.typeName(callee) + " is not callable");
                yield f.call(values(c.args()), keywords(c.kwNames(), c.kwValues()));
            }
            case Expr.Filter f -> Builtins.filter(f.name(), eval(f.value()), values(f.args()),
                    keywords(f.kwNames(), f.kwValues()), Builtins::test);
            case Expr.Test t -> Builtins.test(t.name(), eval(t.value()), values(t.args())) != t.negated();
            case Expr.Unary u -> unary(u.op(), eval(u.operand()));
            case Expr.Binary b -> PyOps.binary(b.op(), eval(b.left()), eval(b.right()));
            case Expr.Compare c -> compare(c);
            case Expr.Logic l -> {
                Object left = eval(l.left());
                yield PyOps.truthy(left) == l.isAnd() ? eval(l.right()) : left;
            }
            case Expr.Conditional c -> PyOps.truthy(eval(c.condition())) ? eval(c.then())
                    : c.otherwise() == null ? new Undefined("the else branch") : eval(c.otherwise());
        };
    }

    private Object optional(Expr e) {
        if (e == null) return null;
        Object v = eval(e);
        return v instanceof Undefined ? null : v;
    }

    private List<Object> values(List<Expr> exprs) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr e : exprs) out.add(eval(e));
        return out;
    }

    private Map<String, Object> keywords(List<String> names, List<Expr> exprs) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) out.put(names.get(i), eval(exprs.get(i)));
        return out;
    }

    private static Object unary(String op, Object v) {
        if (op.equals("not")) return !PyOps.truthy(v);
        if (v instanceof Undefined u) throw u.error();
        if (!PyOps.isNumber(v)) throw new TemplateException("bad operand type for unary " + op + ": " + PyOps.typeName(v));
        if (op.equals("+")) return v instanceof Boolean ? (Object) PyOps.toLong(v) : v;
        return v instanceof Double d ? (Object) (-d) : (Object) (-PyOps.toLong(v));
    }

    private boolean compare(Expr.Compare c) {
        Object left = eval(c.first());
        for (int i = 0; i < c.ops().size(); i++) {
            Object right = eval(c.rest().get(i));
            boolean holds = switch (c.ops().get(i)) {
                case "==" -> PyOps.equal(left, right);
                case "!=" -> !PyOps.equal(left, right);
                case "<" -> PyOps.compare(left, right) < 0;
                case "<=" -> PyOps.compare(left, right) <= 0;
                case ">" -> PyOps.compare(left, right) > 0;
                case ">=" -> PyOps.compare(left, right) >= 0;
                case "in" -> PyOps.contains(right, left);
                default -> !PyOps.contains(right, left); // not in
            };
            if (!holds) return false;
            left = right;
        }
        return true;
    }
}
