package dev.lathe.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery over a fake file tree: the search order, versioned names, and the message when nothing is found. */
class CudaLibraryLocatorTest {
    @TempDir
    Path root;

    @Test
    void aMissingLibraryListsEveryFileLookedAt() throws IOException {
        Path override = Files.createDirectories(root.resolve("override"));
        var locator = new CudaLibraryLocator(Map.of(CudaLibraryLocator.ENV, override.toString(), "LD_LIBRARY_PATH", "/ld/one"),
                null, "/jlp", root);
        var e = assertThrows(UnsatisfiedLinkError.class, () -> locator.locate(CudaLibrary.CUBLAS));
        String m = e.getMessage();
        assertTrue(m.startsWith("cuBLAS (libcublas) not found. Set LATHE_CUDA_LIBS"), m);
        for (String name : CudaLibrary.CUBLAS.fileNames()) {
            assertTrue(m.contains(override.resolve(name).toString()), name + " under the override: " + m);
            assertTrue(m.contains("/ld/one/" + name), m);
            assertTrue(m.contains("/jlp/" + name), m);
            assertTrue(m.contains(root.resolve("usr/local/cuda/lib64").resolve(name).toString()), m);
            assertTrue(m.contains(root.resolve("usr/lib/x86_64-linux-gnu").resolve(name).toString()), m);
        }
        // The override comes first, then java.library.path, then LD_LIBRARY_PATH.
        assertTrue(m.indexOf(override.toString()) < m.indexOf("/jlp/") && m.indexOf("/jlp/") < m.indexOf("/ld/one/"), m);
    }

    @Test
    void findsPyTorchWheelsInAVirtualEnvironmentNewestMajorFirst() throws IOException {
        Path site = root.resolve("opt/torch/.venv/lib/python3.12/site-packages/nvidia");
        Path cu12 = touch(site.resolve("cublas/lib/libcublas.so.12"));
        Path cu13 = touch(site.resolve("cu13/lib/libcublas.so.13"));
        touch(site.resolve("cudnn/lib/libcudnn.so.9"));
        var locator = new CudaLibraryLocator(Map.of(), null, null, root);
        assertEquals(cu13, locator.locate(CudaLibrary.CUBLAS));
        assertEquals(site.resolve("cudnn/lib/libcudnn.so.9"), locator.locate(CudaLibrary.CUDNN));
        Files.delete(cu13);
        assertEquals(cu12, locator.locate(CudaLibrary.CUBLAS));
    }

    @Test
    void theOverrideWinsOverEveryOtherFolder() throws IOException {
        Path mine = touch(root.resolve("mine/libnvrtc.so.12"));
        touch(root.resolve("usr/local/cuda/lib64/libnvrtc.so.12"));
        var locator = new CudaLibraryLocator(Map.of(), mine.getParent().toString(), null, root);
        assertEquals(mine, locator.locate(CudaLibrary.NVRTC));
        Path home = touch(root.resolve("cudahome/lib64/libnvrtc.so.12"));
        var viaHome = new CudaLibraryLocator(Map.of("CUDA_HOME", root.resolve("cudahome").toString()), null, null, root);
        assertEquals(home, viaHome.locate(CudaLibrary.NVRTC));
    }

    private static Path touch(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        return Files.createFile(p);
    }
}
