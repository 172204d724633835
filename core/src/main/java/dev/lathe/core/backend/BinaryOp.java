package dev.lathe.core.backend;

/** Element-wise binary operators of a backend's {@code binary}: out = a op b. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV
}
