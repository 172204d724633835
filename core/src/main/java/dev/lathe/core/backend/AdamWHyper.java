package dev.lathe.core.backend;

/** One AdamW update's hyper-parameters; {@code step} is 1-based (bias correction uses it). */
public record AdamWHyper(float lr, float beta1, float beta2, float eps, float weightDecay, long step) {}
