package dev.lathe.bindings.cuda;

import dev.lathe.bindings.NativeLibrary;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the CUDA libraries at run time. Folders are searched in this order, each library's file names
 * ({@link CudaLibrary#fileNames()}) tried in every folder before the next name:
 * <ol>
 *   <li>{@code LATHE_CUDA_LIBS} (or {@code -Dlathe.cuda.libs}): folders separated by {@code :};</li>
 *   <li>{@code java.library.path} and {@code LD_LIBRARY_PATH};</li>
 *   <li>{@code CUDA_HOME} / {@code CUDA_PATH} ({@code lib64}, {@code lib}), then {@code /usr/local/cuda*}/lib64;</li>
 *   <li>the loader's usual folders ({@code /usr/lib/x86_64-linux-gnu}, {@code /usr/lib64}, WSL's {@code /usr/lib/wsl/lib}, …);</li>
 *   <li>the {@code nvidia/*}/lib folders of Python site-packages, where PyTorch's wheels put cuBLAS, cuDNN and
 *       NVRTC (cu12 wheels: {@code nvidia/cublas/lib}, …; cu13 wheels: {@code nvidia/cu13/lib}): those of
 *       {@code VIRTUAL_ENV}, {@code CONDA_PREFIX}, {@code PYTHONPATH}, the user's and the system's Pythons,
 *       and virtual environments under {@code /opt/*}.</li>
 * </ol>
 * A library found nowhere is an {@link UnsatisfiedLinkError} whose message lists every file looked at.
 */
public final class CudaLibraryLocator {
    /** The environment variable and system property naming extra library folders. */
    public static final String ENV = "LATHE_CUDA_LIBS", PROPERTY = "lathe.cuda.libs";
    private static final List<String> SYSTEM_FOLDERS = List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64", "/usr/lib", "/usr/local/lib", "/usr/lib/wsl/lib", "/usr/local/nvidia/lib64");
    private static final List<String> PYTHON_ROOTS = List.of("/usr/lib", "/usr/local/lib", "/opt/conda/lib");

    private static final CudaLibraryLocator SYSTEM = new CudaLibraryLocator(System.getenv(),
            System.getProperty(PROPERTY), System.getProperty("java.library.path"), Path.of("/"));
    private static final Map<CudaLibrary, NativeLibrary> LOADED = new ConcurrentHashMap<>();

    private final Map<String, String> env;
    private final String property, javaLibraryPath;
    private final Path root;

    /**
     * A locator over an explicit environment; {@code root} is where the standard folders are looked for
     * ({@code /} on a real machine; a test points it at an empty folder).
     */
    public CudaLibraryLocator(Map<String, String> env, String property, String javaLibraryPath, Path root) {
        this.env = env;
        this.property = property;
        this.javaLibraryPath = javaLibraryPath;
        this.root = root;
    }

    /** The locator over this process's environment. */
    public static CudaLibraryLocator system() {
        return SYSTEM;
    }

    /** Opens {@code library} once per process (later calls return the same one). */
    public static NativeLibrary load(CudaLibrary library) {
        return LOADED.computeIfAbsent(library, l -> NativeLibrary.open(SYSTEM.locate(l)));
    }

    /** Whether {@code library} is found on this machine (it is not opened). */
    public static boolean isPresent(CudaLibrary library) {
        try {
            SYSTEM.locate(library);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    /** The file of {@code library}: the first of its names found in {@link #folders()}. */
    public Path locate(CudaLibrary library) {
        List<Path> folders = folders();
        List<String> looked = new ArrayList<>();
        for (String name : library.fileNames()) {
            for (Path folder : folders) {
                Path p = folder.resolve(name);
                looked.add(p.toString());
                if (Files.isRegularFile(p)) return p;
            }
        }
        throw new UnsatisfiedLinkError(library.description() + " not found. Set " + ENV + " (or -D" + PROPERTY
                + ") to the folder holding " + library.fileNames().getFirst() + ", or install PyTorch's CUDA wheels. Looked at: "
                + String.join(", ", looked));
    }

    /** Every folder searched, in order, without duplicates. */
    public List<Path> folders() {
        LinkedHashSet<Path> out = new LinkedHashSet<>();
        pathList(property, out);
        pathList(env.get(ENV), out);
        pathList(javaLibraryPath, out);
        pathList(env.get("LD_LIBRARY_PATH"), out);
        for (String home : new String[] {env.get("CUDA_HOME"), env.get("CUDA_PATH")}) {
            if (home == null || home.isBlank()) continue;
            out.add(Path.of(home, "lib64"));
            out.add(Path.of(home, "lib"));
        }
        out.add(root.resolve("usr/local/cuda/lib64"));
        for (Path cuda : children(root.resolve("usr/local"), "cuda-*")) out.add(cuda.resolve("lib64"));
        for (String f : SYSTEM_FOLDERS) out.add(root.resolve(f.substring(1)));
        for (Path site : sitePackages()) for (Path lib : children(site.resolve("nvidia"), "*")) out.add(lib.resolve("lib"));
        return List.copyOf(out);
    }

    /** Python site-packages folders that may hold NVIDIA's wheels. */
    private List<Path> sitePackages() {
        List<Path> prefixes = new ArrayList<>();
        for (String var : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) prefixes.add(Path.of(v, "lib"));
        }
        String home = env.get("HOME");
        if (home != null && !home.isBlank()) prefixes.add(Path.of(home, ".local/lib"));
        for (String r : PYTHON_ROOTS) prefixes.add(root.resolve(r.substring(1)));
        for (Path opt : children(root.resolve("opt"), "*")) {
            prefixes.add(opt.resolve(".venv/lib"));
            prefixes.add(opt.resolve("venv/lib"));
            prefixes.add(opt.resolve("lib"));
        }
        List<Path> sites = new ArrayList<>();
        String pythonPath = env.get("PYTHONPATH");
        if (pythonPath != null) for (String p : pythonPath.split(File.pathSeparator)) if (!p.isBlank()) sites.add(Path.of(p));
        for (Path prefix : prefixes) {
            for (Path python : children(prefix, "python3*")) {
                sites.add(python.resolve("site-packages"));
                sites.add(python.resolve("dist-packages"));
            }
        }
        return sites;
    }

    private static void pathList(String value, LinkedHashSet<Path> out) {
        if (value == null) return;
        for (String f : value.split(File.pathSeparator)) if (!f.isBlank()) out.add(Path.of(f));
    }

    /** The sub-folders of {@code dir} matching {@code glob}, sorted by name descending (newest version first). */
    private static List<Path> children(Path dir, String glob) {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, glob)) {
            for (Path p : s) if (Files.isDirectory(p)) out.add(p);
        } catch (IOException e) {
            return List.of();
        }
        out.sort((a, b) -> b.getFileName().toString().compareTo(a.getFileName().toString()));
        return out;
    }
}
