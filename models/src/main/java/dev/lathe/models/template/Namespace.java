package dev.lathe.models.template;

import java.util.LinkedHashMap;
import java.util.Map;

/** Jinja's {@code namespace(...)}: the one object a template may change, so loops can carry state out. */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();
}
