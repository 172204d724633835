package dev.lathe.train.cli;

/** Bad usage or bad input: the CLI prints the message and exits with code 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
