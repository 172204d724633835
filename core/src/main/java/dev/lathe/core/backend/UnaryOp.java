package dev.lathe.core.backend;

/** Element-wise unary operators of a backend's {@code unary}: out = op(x). RSQRT is 1/sqrt(x). */
public enum UnaryOp {
    NEG, EXP, LOG, TANH, SQRT, RSQRT, SQUARE, RELU, SIGMOID, ABS
}
