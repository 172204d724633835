package dev.lathe.models.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.memory.Storage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@code .safetensors} file: an 8-byte little-endian header length n, n bytes of JSON header
 * ({@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {..}}}), then the data
 * area that the offsets index. The file is memory-mapped in a shared arena owned by the reader (pool threads
 * convert from it directly) and unmapped by {@link #close()}.
 *
 * <p>The whole header is validated when the file is opened: its length, that every tensor's bytes lie inside
 * the data area, that no two tensors overlap, and that dtype × shape is exactly the byte range, all without
 * integer overflow. A violation is a {@link SafetensorsException} naming the file and the tensor.
 */
public final class SafetensorsReader implements AutoCloseable {
    /** The reference implementation's limit on the header size (safetensors' MAX_HEADER_SIZE). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final ValueLayout.OfLong LE_LONG =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private boolean closed;

    private SafetensorsReader(Path file, Arena arena, MemorySegment data, Map<String, TensorInfo> tensors,
                              Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps and validates {@code file}. */
    public static SafetensorsReader open(Path file) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors data is little-endian; this machine is not");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) throw new SafetensorsException(file, null, "file of " + size + " bytes has no 8-byte header length");
            MemorySegment all = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerBytes = all.get(LE_LONG, 0);
            if (headerBytes < 2 || headerBytes > MAX_HEADER_BYTES || headerBytes > size - 8) {
                throw new SafetensorsException(file, null, "header length " + Long.toUnsignedString(headerBytes)
                        + " does not fit a file of " + size + " bytes (limit " + MAX_HEADER_BYTES + ")");
            }
            JsonNode header = parseHeader(file, all.asSlice(8, headerBytes).toArray(ValueLayout.JAVA_BYTE));
            long dataBytes = size - 8 - headerBytes;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (var field : header.properties()) {
                if (field.getKey().equals("__metadata__")) {
                    readMetadata(file, field.getValue(), metadata);
                } else {
                    tensors.put(field.getKey(), readEntry(file, field.getKey(), field.getValue(), dataBytes));
                }
            }
            checkNoOverlap(file, tensors.values());
            return new SafetensorsReader(file, arena, all.asSlice(8 + headerBytes, dataBytes),
                    Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The header entry of {@code name}; IllegalArgumentException when the file has no such tensor. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) throw new IllegalArgumentException(file + ": no tensor '" + name + "'");
        return info;
    }

    /** The {@code __metadata__} strings (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** A new tensor in the stored type (I64 narrowed to I32, checked), owned by the caller or the open scope. */
    public Tensor read(String name) {
        TensorInfo info = info(name);
        DType stored = info.dtype().toDType();
        if (stored == null) throw unsupported(info);
        return read(name, stored);
    }

    /** A new tensor of type {@code as}: the stored values, widened from BF16/F16 to F32 (or narrowed) on request. */
    public Tensor read(String name, DType as) {
        Tensor t = Tensor.empty(as, info(name).shape());
        try {
            readInto(name, t);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /**
     * Overwrites {@code dst} (same shape, not a transposed view) with the tensor's values, converting between
     * F32 and BF16/F16 as the backend's copy does, and narrowing I64 to I32 with a range check.
     */
    public void readInto(String name, Tensor dst) {
        checkOpen();
        TensorInfo info = info(name);
        if (!Arrays.equals(info.shape(), dst.shape()) || dst.isTransposed()) {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' of shape " + Arrays.toString(info.shape())
                    + " cannot be read into " + dst);
        }
        if (dst.device() != Device.CPU) { // read on the host, then move the bytes
            try (Tensor host = Scope.escape(() -> Tensor.empty(dst.dtype(), dst.shape()))) {
                readInto(name, host);
                Backends.of(dst).copy(host, dst);
            }
            return;
        }
        MemorySegment src = data.asSlice(info.begin(), info.byteLength());
        SafetensorsDType stored = info.dtype();
        if (stored == SafetensorsDType.I64 && dst.dtype() == DType.I32) {
            narrowToInt(info, src, dst.segment());
            return;
        }
        DType storedAs = stored.toDType();
        if (storedAs == null || stored == SafetensorsDType.I64) throw unsupported(info);
        if (storedAs == dst.dtype()) {
            MemorySegment.copy(src, 0, dst.segment(), 0, src.byteSize());
        } else if (storedAs.isFloating() && dst.dtype().isFloating()) {
            try (Tensor view = storedView(src, storedAs, info.shape())) {
                Backends.cpu().copy(view, dst);
            }
        } else {
            throw new IllegalArgumentException(file + ": tensor '" + name + "' is " + stored + ", cannot be read as " + dst.dtype());
        }
    }

    /** Unmaps the file; tensors already read stay valid. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        arena.close();
    }

    // ---------------------------------------------------------------- reading

    /**
     * The stored bytes as a tensor the CPU kernels can read: the mapped memory itself when it is aligned to the
     * element size (always, for files written with the reference alignment), else an aligned copy.
     */
    private static Tensor storedView(MemorySegment src, DType dtype, int[] shape) {
        if (src.address() % dtype.bytes() == 0) {
            return Tensor.wrap(new Storage(src, Device.CPU, () -> {}), 0, dtype, shape);
        }
        Tensor copy = Tensor.empty(dtype, shape);
        MemorySegment.copy(src, 0, copy.segment(), 0, src.byteSize());
        return copy;
    }

    private void narrowToInt(TensorInfo info, MemorySegment src, MemorySegment dst) {
        long n = info.numel();
        for (long i = 0; i < n; i++) {
            long v = src.getAtIndex(LE_LONG, i);
            if (v != (int) v) {
                throw new IllegalArgumentException(file + ": tensor '" + info.name() + "' value " + v + " at index " + i
                        + " does not fit I32");
            }
            dst.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, (int) v);
        }
    }

    private IllegalArgumentException unsupported(TensorInfo info) {
        return new IllegalArgumentException(file + ": tensor '" + info.name() + "' is " + info.dtype()
                + ", which Lathe does not read (F32, F16, BF16, I32, I64)");
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException(file + ": reader is closed");
    }

    // ---------------------------------------------------------------- header validation

    private static JsonNode parseHeader(Path file, byte[] bytes) throws SafetensorsException {
        if (bytes[0] != '{') throw new SafetensorsException(file, null, "header does not start with '{'");
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(file, null, "header is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new SafetensorsException(file, null, "header cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new SafetensorsException(file, null, "header is not a JSON object");
        return root;
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) throws SafetensorsException {
        if (!node.isObject()) throw new SafetensorsException(file, null, "__metadata__ is not an object");
        for (var e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(file, null, "__metadata__ value of '" + e.getKey() + "' is not a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo readEntry(Path file, String name, JsonNode node, long dataBytes) throws SafetensorsException {
        if (!node.isObject()) throw new SafetensorsException(file, name, "header entry is not an object");
        JsonNode dtypeNode = node.get("dtype");
        SafetensorsDType dtype = dtypeNode != null && dtypeNode.isTextual() ? SafetensorsDType.parse(dtypeNode.textValue()) : null;
        if (dtype == null) throw new SafetensorsException(file, name, "unknown dtype " + dtypeNode);

        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) throw new SafetensorsException(file, name, "shape is not an array");
        int[] shape = new int[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0) {
                throw new SafetensorsException(file, name, "shape " + shapeNode + " has an invalid dimension " + d);
            }
            shape[i] = d.intValue();
        }

        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !isNonNegativeLong(offsets.get(0)) || !isNonNegativeLong(offsets.get(1))) {
            throw new SafetensorsException(file, name, "data_offsets " + offsets + " is not [begin, end]");
        }
        long begin = offsets.get(0).longValue(), end = offsets.get(1).longValue();
        if (begin > end || end > dataBytes) {
            throw new SafetensorsException(file, name, "data_offsets [" + begin + ", " + end
                    + "] are outside the data area of " + dataBytes + " bytes");
        }
        long bytes;
        try {
            long n = 1;
            for (int d : shape) n = Math.multiplyExact(n, d);
            bytes = Math.multiplyExact(n, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, name, "shape " + shapeNode + " overflows");
        }
        if (bytes != end - begin) {
            throw new SafetensorsException(file, name, dtype + " " + shapeNode + " is " + bytes
                    + " bytes but data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static boolean isNonNegativeLong(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0;
    }

    private static void checkNoOverlap(Path file, Iterable<TensorInfo> infos) throws SafetensorsException {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo t : infos) if (t.byteLength() > 0) sorted.add(t);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1), cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new SafetensorsException(file, cur.name(), "bytes [" + cur.begin() + ", " + cur.end()
                        + ") overlap tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + ")");
            }
        }
    }
}
