package dev.lathe.core.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.bindings.cuda.CudaLibrary;
import dev.lathe.bindings.cuda.CudaLibraryLocator;
import dev.lathe.core.backend.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Where no GPU is usable, the backend says why, "cuda" fails with that reason and "auto" runs on the CPU. */
class CudaAvailabilityTest {
    @Test
    void withoutADriverTheReasonListsWhereItLooked() {
        Assumptions.assumeFalse(CudaLibraryLocator.isPresent(CudaLibrary.DRIVER), "a CUDA driver is installed here");
        String why = CudaBackend.unavailableReason();
        assertTrue(why.startsWith("no CUDA driver: the CUDA driver (libcuda) not found"), why);
        assertTrue(why.contains("Looked at: ") && why.contains("libcuda.so.1"), why);
        assertSame(why, CudaBackend.unavailableReason(), "probed once, then cached");
    }

    @Test
    void withoutAGpuCudaIsRefusedWithTheReasonAndAutoFallsBackToTheCpu() {
        String why = Backends.cudaUnavailableReason();
        Assumptions.assumeTrue(why != null, "a GPU is usable here");
        assertEquals(why, CudaBackend.unavailableReason());
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.select("cuda"));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertSame(Backends.cpu(), Backends.select("auto"));
        var get = assertThrows(IllegalStateException.class, CudaBackend::get);
        assertTrue(get.getMessage().endsWith(why), get.getMessage());
        assertFalse(CudaLaunch.active());
    }
}
