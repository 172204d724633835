package dev.lathe.bindings.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.bindings.cuda.CudaLibrary;
import dev.lathe.bindings.cuda.CudaLibraryLocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the NCCL bindings do without a GPU: discovery, the id's layout, status names. */
class NcclBindingsTest {
    @TempDir
    Path root;

    @Test
    void aMissingLibraryFailsTheFirstCallListingPyTorchsNcclFolder() throws IOException {
        Path wheel = Files.createDirectories(root.resolve("opt/torch/.venv/lib/python3.12/site-packages/nvidia/nccl/lib"));
        Nccl nccl = Nccl.using(new CudaLibraryLocator(Map.of(), null, null, root));
        var e = assertThrows(UnsatisfiedLinkError.class, nccl::version);
        String m = e.getMessage();
        assertTrue(m.startsWith("NCCL (libnccl) not found. Set LATHE_CUDA_LIBS"), m);
        assertTrue(m.contains(wheel.resolve("libnccl.so.2").toString()), m);
        assertTrue(m.contains(root.resolve("usr/local/cuda/lib64/libnccl.so").toString()), m);
    }

    @Test
    void findsLibncclInPyTorchsWheel() throws IOException {
        Path lib = root.resolve("opt/torch/.venv/lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2");
        Files.createDirectories(lib.getParent());
        Files.createFile(lib);
        assertEquals(lib, new CudaLibraryLocator(Map.of(), null, null, root).locate(CudaLibrary.NCCL));
    }

    @Test
    void theUniqueIdIsA128ByteStructAndOtherLengthsAreRefusedBeforeAnyCall() {
        assertEquals(128, Nccl.UNIQUE_ID.byteSize());
        assertEquals(1, Nccl.UNIQUE_ID.byteAlignment());
        // The empty locator would fail the call: the length is checked first.
        Nccl nccl = Nccl.using(new CudaLibraryLocator(Map.of(), null, null, root));
        var e = assertThrows(IllegalArgumentException.class, () -> nccl.commInitRank(2, new byte[64], 0));
        assertTrue(e.getMessage().contains("128 bytes, not 64"), e.getMessage());
    }

    @Test
    void statusCodesMapToNcclsNames() {
        assertEquals("ncclSuccess", NcclStatus.name(0));
        assertEquals("ncclUnhandledCudaError", NcclStatus.name(1));
        assertEquals("ncclInvalidArgument", NcclStatus.name(4));
        assertEquals("ncclRemoteError", NcclStatus.name(6));
        assertEquals("ncclInProgress", NcclStatus.name(NcclStatus.IN_PROGRESS));
        assertEquals("UNKNOWN_42", NcclStatus.name(42));
        assertEquals("UNKNOWN_-1", NcclStatus.name(-1));
        var e = new NcclException("ncclAllReduce", 4, "invalid argument");
        assertEquals("ncclAllReduce: ncclInvalidArgument (4): invalid argument", e.getMessage());
        assertEquals(4, e.code());
        assertEquals("ncclAllReduce", e.function());
        assertEquals("ncclGroupEnd: ncclSystemError (2)", new NcclException("ncclGroupEnd", 2, "").getMessage());
    }
}
