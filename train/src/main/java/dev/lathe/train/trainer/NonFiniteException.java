package dev.lathe.train.trainer;

/** A training step produced a NaN or an infinity under {@link NanPolicy#STOP}; the message names the step and tensor. */
public final class NonFiniteException extends RuntimeException {
    NonFiniteException(String message) {
        super(message);
    }
}
