package dev.lathe.train;

import dev.lathe.train.cli.Args;
import dev.lathe.train.cli.Command;
import dev.lathe.train.cli.UsageException;
import dev.lathe.train.trainer.NonFiniteException;
import dev.lathe.core.cpu.CpuGemm;
import dev.lathe.core.cpu.NativeBlas;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The {@code ./lathe} entry point: {@code ./lathe <command> [--flag value ...]}. Exit codes: 0 success, 2 bad
 * usage or bad input, including a NaN or infinity met in training (one clear message on stderr), 1 internal error.
 */
public final class Main {
    private Main() {}

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    /** Runs one command line; returns the exit code. */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        Map<String, Command> commands = commands();
        if (argv.length == 0) {
            err.print(help(commands));
            return 2;
        }
        if (argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            if (argv.length > 1 && commands.containsKey(argv[1])) {
                out.println(commands.get(argv[1]).usage());
            } else {
                out.print(help(commands));
            }
            return 0;
        }
        if (argv[0].equals("--version") || argv[0].equals("version")) {
            out.println("lathe " + version());
            return 0;
        }
        Command cmd = commands.get(argv[0]);
        if (cmd == null) {
            err.println("lathe: unknown command '" + argv[0] + "' (see ./lathe --help)");
            return 2;
        }
        List<String> rest = new ArrayList<>(Arrays.asList(argv).subList(1, argv.length));
        if (rest.contains("--help") || rest.contains("-h")) {
            out.println(cmd.usage());
            return 0;
        }
        try {
            selectBlas(rest, err);
            return cmd.run(Args.parse(rest), out, err);
        } catch (UsageException | NonFiniteException e) {
            err.println("lathe " + cmd.name() + ": " + e.getMessage());
            return 2;
        } catch (Exception | Error e) {
            err.println("lathe " + cmd.name() + ": internal error: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /**
     * Takes the global {@code --blas java|native} out of args and applies it: native hands the CPU backend's GEMMs to
     * an installed CBLAS ({@code -Dlathe.blasLibrary=PATH} names one; otherwise OpenBLAS, MKL, BLIS or the system
     * BLAS is searched for), java (the default) keeps the built-in kernel.
     */
    static void selectBlas(List<String> args, PrintStream err) {
        int i = args.indexOf("--blas");
        if (i < 0) return;
        if (i + 1 >= args.size()) throw new UsageException("--blas needs a value: java or native");
        String choice = args.get(i + 1);
        args.subList(i, i + 2).clear();
        switch (choice) {
            case "java" -> CpuGemm.useBlas(null);
            case "native" -> {
                try {
                    CpuGemm.useBlas(NativeBlas.load(System.getProperty("lathe.blasLibrary")));
                } catch (IllegalStateException e) {
                    throw new UsageException("--blas native: " + e.getMessage());
                }
                err.println("lathe: CPU GEMMs on " + CpuGemm.implementation());
            }
            default -> throw new UsageException("--blas must be java or native, got '" + choice + "'");
        }
    }

    static Map<String, Command> commands() {
        Map<String, Command> m = new TreeMap<>();
        for (Command c : ServiceLoader.load(Command.class)) m.put(c.name(), c);
        return m;
    }

    static String help(Map<String, Command> commands) {
        StringBuilder sb = new StringBuilder();
        sb.append("Lathe ").append(version()).append(" — post-training for transformer language models\n\n");
        sb.append("usage: ./lathe <command> [--flag value ...]\n\ncommands:\n");
        commands.values().forEach(c -> sb.append(String.format("  %-10s %s%n", c.name(), c.summary())));
        sb.append(String.format("  %-10s %s%n", "help", "this list; ./lathe <command> --help for one command"));
        sb.append(String.format("  %-10s %s%n", "version", "print the version"));
        sb.append("\nEvery command takes --blas java|native: native runs the CPU GEMMs on an installed BLAS (OpenBLAS,\n");
        sb.append("MKL, BLIS; -Dlathe.blasLibrary=PATH in LATHE_JAVA_OPTS names one), java (default) on Lathe's kernel.\n");
        sb.append("\nData goes to stdout (JSON lines where structured); progress and logs go to stderr.\n");
        sb.append("Exit codes: 0 success, 2 bad usage or input, 1 internal error.\n");
        return sb.toString();
    }

    /** The version from the jar manifest, or "dev" when run from classes. */
    public static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
