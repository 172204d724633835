package dev.lathe.models.template;

/** A template that cannot be parsed or rendered, or one that called {@code raise_exception}. */
public final class TemplateException extends RuntimeException {
    public TemplateException(String message) {
        super(message);
    }
}
