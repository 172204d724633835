/**
 * A Jinja interpreter for the chat templates that Hugging Face model directories ship (tokenizer_config.json's
 * {@code chat_template}), rendering them exactly as {@code transformers} does: Python Jinja2's sandboxed
 * environment with {@code trim_blocks}, {@code lstrip_blocks} and loop controls, Python value semantics, and
 * {@code transformers}' {@code tojson} and {@code raise_exception}. See {@link dev.lathe.models.template.JinjaTemplate}.
 */
package dev.lathe.models.template;
