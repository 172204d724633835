package dev.lathe.models.template;

import java.util.List;

/** Statement trees: what a template renders. */
sealed interface Node {
    record Text(String text) implements Node {}

    record Output(Expr value) implements Node {}

    /** {@code if}/{@code elif} branches in order; {@code otherwise} the {@code else} body (empty when none). */
    record If(List<Expr> conditions, List<List<Node>> bodies, List<Node> otherwise) implements Node {}

    /** {@code for targets in iterable [if filter]}; {@code otherwise} runs when nothing was iterated. */
    record For(List<String> targets, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise)
            implements Node {}

    /** {@code set name = value}, {@code set a, b = value}, or {@code set ns.attr = value} (attr non-null). */
    record Set(List<String> targets, String attr, Expr value) implements Node {}

    /** {@code set name}...{@code endset}: the body's output assigned to a name. */
    record SetBlock(String target, List<Node> body) implements Node {}

    /** A body rendered in place: {@code generation} blocks of transformers' assistant tracking. */
    record Block(List<Node> body) implements Node {}

    record Break() implements Node {}

    record Continue() implements Node {}
}
