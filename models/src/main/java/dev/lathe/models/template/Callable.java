package dev.lathe.models.template;

import java.util.List;
import java.util.Map;

/** A function a template can call: a global ({@code range}, {@code namespace}) or a bound method. */
@FunctionalInterface
interface Callable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
