package dev.lathe.models.template;

/**
 * Jinja2's default {@code Undefined}: what a missing variable, attribute or item evaluates to. It prints as
 * nothing, is false, iterates as empty and passes {@code is not defined}; any other use (arithmetic, an
 * attribute of it, a call) fails naming what was missing.
 */
final class Undefined {
    final String name;

    Undefined(String name) {
        this.name = name;
    }

    TemplateException error() {
        return new TemplateException("'" + name + "' is undefined");
    }
}
