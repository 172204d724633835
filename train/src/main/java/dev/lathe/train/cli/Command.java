package dev.lathe.train.cli;

import java.io.PrintStream;

/**
 * One {@code ./lathe <name>} command. Commands are found with {@link java.util.ServiceLoader}, so modules above
 * {@code train} (the benchmarks) add theirs without {@code train} knowing them. Data goes to {@code out}
 * (stdout), everything else to {@code err}.
 */
public interface Command {
    /** The word after {@code ./lathe}. */
    String name();

    /** One line for {@code ./lathe --help}. */
    String summary();

    /** Full usage for {@code ./lathe <name> --help}. */
    String usage();

    /** Runs the command; throws {@link UsageException} for bad usage or input. Returns the exit code. */
    int run(Args args, PrintStream out, PrintStream err) throws Exception;
}
