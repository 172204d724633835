package dev.lathe.train.cli;

import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.cpu.CpuParallel;
import dev.lathe.train.Main;
import java.io.PrintStream;
import jdk.incubator.vector.FloatVector;

/** {@code ./lathe info}: the runtime Lathe sees, as one JSON line. */
public final class InfoCommand implements Command {
    @Override
    public String name() {
        return "info";
    }

    @Override
    public String summary() {
        return "print the Java runtime, backend, vector width and threads as JSON";
    }

    @Override
    public String usage() {
        return "usage: ./lathe info [--device auto|cpu|cuda]\n"
                + "Prints one JSON object on stdout: lathe version, java version, backend, vector bits, threads.";
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) {
        String device = args.string("device", "auto");
        args.rejectUnknown();
        Backend backend;
        try {
            backend = Backends.select(device);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        out.printf("{\"lathe\":\"%s\",\"java\":\"%s\",\"backend\":\"%s\",\"vector_bits\":%d,\"threads\":%d}%n",
                Main.version(), Runtime.version(), backend.name(),
                FloatVector.SPECIES_PREFERRED.vectorBitSize(), CpuParallel.threads());
        return 0;
    }
}
