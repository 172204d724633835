package dev.lathe.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A shared library found on this machine: an explicit path (system property or environment variable) first,
 * then each candidate file name in the usual library folders. It is opened with {@code RTLD_GLOBAL}, because
 * libraries such as Open MPI load plugins that resolve their symbols against it. A library that is not found is
 * an {@link UnsatisfiedLinkError} listing every place looked at.
 */
public final class NativeLibrary {
    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_GLOBAL = 0x100;
    private static final List<String> FOLDERS = List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64", "/usr/lib", "/usr/local/lib", "/usr/lib/x86_64-linux-gnu/openmpi/lib",
            "/usr/lib64/openmpi/lib", "/usr/lib64/mpich/lib", "/usr/local/cuda/lib64");

    private final Path path;
    private final SymbolLookup symbols;

    private NativeLibrary(Path path, SymbolLookup symbols) {
        this.path = path;
        this.symbols = symbols;
    }

    /**
     * Finds and opens a library. {@code property} (a system property) or {@code envVariable} may name the file;
     * otherwise the first of {@code names} found in {@code LD_LIBRARY_PATH}'s folders or the usual ones is used.
     */
    public static NativeLibrary find(String what, String property, String envVariable, String... names) {
        List<String> looked = new ArrayList<>();
        for (String explicit : new String[] {System.getProperty(property), System.getenv(envVariable)}) {
            if (explicit == null || explicit.isBlank()) continue;
            Path p = Path.of(explicit);
            looked.add(p.toString());
            if (Files.isRegularFile(p)) return open(p);
            throw new UnsatisfiedLinkError(what + ": " + p + " (from " + property + " or " + envVariable + ") does not exist");
        }
        List<String> folders = new ArrayList<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) for (String f : ld.split(":")) if (!f.isBlank()) folders.add(f);
        folders.addAll(FOLDERS);
        for (String name : names) {
            for (String folder : folders) {
                Path p = Path.of(folder, name);
                looked.add(p.toString());
                if (Files.isRegularFile(p)) return open(p);
            }
        }
        throw new UnsatisfiedLinkError(what + " not found; set -D" + property + " or " + envVariable
                + " to the library file. Looked at: " + String.join(", ", looked));
    }

    /** Opens the library file at {@code path}; a file that does not load is an UnsatisfiedLinkError with dlerror's text. */
    public static NativeLibrary open(Path path) {
        Linker linker = Linker.nativeLinker();
        MethodHandle dlopen = linker.downcallHandle(linker.defaultLookup().find("dlopen").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle dlerror = linker.downcallHandle(linker.defaultLookup().find("dlerror").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(Long.MAX_VALUE, ValueLayout.JAVA_BYTE))));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(path.toString()), RTLD_NOW | RTLD_GLOBAL);
            if (handle.address() == 0) {
                MemorySegment why = (MemorySegment) dlerror.invokeExact();
                throw new UnsatisfiedLinkError(path + ": dlopen failed" + (why.address() == 0 ? "" : ": " + why.getString(0)));
            }
        } catch (Throwable t) {
            if (t instanceof UnsatisfiedLinkError e) throw e;
            throw new UnsatisfiedLinkError(path + ": " + t);
        }
        // The library stays loaded for the process (dlopen's reference above is never closed).
        return new NativeLibrary(path, SymbolLookup.libraryLookup(path, Arena.global()));
    }

    public Path path() {
        return path;
    }

    /** The address of a symbol, if the library exports it. */
    public Optional<MemorySegment> find(String symbol) {
        return symbols.find(symbol);
    }

    /** A downcall to {@code symbol}; a missing symbol is an UnsatisfiedLinkError naming it and the library. */
    public MethodHandle function(String symbol, FunctionDescriptor descriptor) {
        MemorySegment address = find(symbol).orElseThrow(() -> new UnsatisfiedLinkError(path + " lacks " + symbol));
        return Linker.nativeLinker().downcallHandle(address, descriptor);
    }
}
