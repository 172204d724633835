package dev.lathe.models.template;

import java.util.List;

/** Expression trees of Jinja's grammar. */
sealed interface Expr {
    record Literal(Object value) implements Expr {}

    record Name(String name) implements Expr {}

    record ListOf(List<Expr> items) implements Expr {}

    /** A dict display: keys[i] maps to values[i]. */
    record DictOf(List<Expr> keys, List<Expr> values) implements Expr {}

    /** {@code obj.name} (Jinja's getattr: attribute first, then item). */
    record Attr(Expr obj, String name) implements Expr {}

    /** {@code obj[key]} (item first, then attribute). */
    record Item(Expr obj, Expr key) implements Expr {}

    /** {@code obj[start:stop:step]}, absent parts null. */
    record Slice(Expr obj, Expr start, Expr stop, Expr step) implements Expr {}

    record Call(Expr callee, List<Expr> args, List<String> kwNames, List<Expr> kwValues) implements Expr {}

    /** {@code value | name(args)}. */
    record Filter(Expr value, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues) implements Expr {}

    /** {@code value is [not] name(args)}. */
    record Test(Expr value, String name, List<Expr> args, boolean negated) implements Expr {}

    /** Unary {@code not}, {@code -}, {@code +}. */
    record Unary(String op, Expr operand) implements Expr {}

    /** Arithmetic and concatenation: + - * / // % ** ~. */
    record Binary(String op, Expr left, Expr right) implements Expr {}

    /** A comparison chain {@code a op1 b op2 c}: true when every link holds (ops include "in" and "not in"). */
    record Compare(Expr first, List<String> ops, List<Expr> rest) implements Expr {}

    /** Short-circuit {@code and} / {@code or}, returning the deciding operand as Python does. */
    record Logic(boolean isAnd, Expr left, Expr right) implements Expr {}

    /** {@code then if condition else otherwise}; otherwise null means undefined. */
    record Conditional(Expr condition, Expr then, Expr otherwise) implements Expr {}
}
