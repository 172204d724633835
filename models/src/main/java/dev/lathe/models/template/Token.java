package dev.lathe.models.template;

/** One token of an expression inside a tag: a name, a literal or an operator; {@code text} as written (strings unescaped). */
record Token(Kind kind, String text) {
    enum Kind { NAME, STRING, INT, FLOAT, OP }

    boolean is(String op) {
        return kind == Kind.OP && text.equals(op);
    }

    boolean isName(String name) {
        return kind == Kind.NAME && text.equals(name);
    }
}
