package dev.lathe.models.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.memory.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes named tensors as a {@code .safetensors} file laid out as the reference (Rust) writer does: tensors
 * sorted by element size, largest first, then by name, so each tensor's data is aligned to its element size;
 * the JSON header compact, {@code __metadata__} ({@code {"format":"pt"}}) last, and padded with spaces to a
 * multiple of 8 bytes. The file is written under a temporary name in the same folder, then renamed over
 * {@code file}, so a reader never sees half a file.
 */
public final class SafetensorsWriter {
    private static final JsonFactory JSON = new JsonFactory();

    private SafetensorsWriter() {}

    /** Writes every tensor in its own type (F32, BF16, F16 or I32). */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, null);
    }

    /** Writes floating tensors converted to {@code floatsAs} (F32, BF16 or F16; null keeps each one's type), I32 as is. */
    public static void write(Path file, Map<String, Tensor> tensors, DType floatsAs) throws IOException {
        if (floatsAs != null && !floatsAs.isFloating()) throw new IllegalArgumentException("cannot store floats as " + floatsAs);
        List<Entry> entries = layout(tensors, floatsAs);
        byte[] header = header(entries);
        long dataBytes = entries.isEmpty() ? 0 : entries.getLast().end;
        long total = 8 + header.length + dataBytes;

        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofShared()) {
                MemorySegment out = channel.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
                out.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, header.length);
                MemorySegment.copy(header, 0, out, ValueLayout.JAVA_BYTE, 8, header.length);
                long dataStart = 8 + header.length;
                for (Entry e : entries) writeData(e, out.asSlice(dataStart + e.begin, e.end - e.begin));
                out.force();
            }
            moveOver(tmp, file);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** One tensor's place in the file. */
    private record Entry(String name, Tensor tensor, DType dtype, long begin, long end) {}

    private static List<Entry> layout(Map<String, Tensor> tensors, DType floatsAs) {
        record Item(String name, Tensor tensor, DType dtype) {}
        List<Item> items = new ArrayList<>();
        tensors.forEach((name, t) -> {
            if (name.isEmpty() || name.equals("__metadata__")) throw new IllegalArgumentException("invalid tensor name '" + name + "'");
            items.add(new Item(name, t, floatsAs != null && t.dtype().isFloating() ? floatsAs : t.dtype()));
        });
        items.sort(Comparator.comparing((Item i) -> SafetensorsDType.of(i.dtype())).reversed().thenComparing(Item::name));
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        for (Item i : items) {
            long bytes = Math.multiplyExact(i.tensor().numel(), i.dtype().bytes());
            entries.add(new Entry(i.name(), i.tensor(), i.dtype(), offset, offset + bytes));
            offset += bytes;
        }
        return entries;
    }

    private static byte[] header(List<Entry> entries) throws IOException {
        var bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(bytes)) {
            g.writeStartObject();
            for (Entry e : entries) {
                g.writeObjectFieldStart(e.name);
                g.writeStringField("dtype", SafetensorsDType.of(e.dtype).name());
                g.writeArrayFieldStart("shape");
                for (int d : e.tensor.shape()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(e.begin);
                g.writeNumber(e.end);
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeObjectFieldStart("__metadata__");
            g.writeStringField("format", "pt");
            g.writeEndObject();
            g.writeEndObject();
        }
        int pad = (8 - bytes.size() % 8) % 8;
        for (int i = 0; i < pad; i++) bytes.write(' ');
        return bytes.toByteArray();
    }

    /** Copies (and converts) one tensor into its mapped bytes, through the backend's copy (a device tensor via the host). */
    private static void writeData(Entry e, MemorySegment dst) {
        if (e.tensor.device() != Device.CPU) {
            try (Tensor host = Scope.escape(() -> e.tensor.to(Device.CPU))) {
                writeData(new Entry(e.name, host, e.dtype, e.begin, e.end), dst);
            }
            return;
        }
        Tensor src = e.tensor;
        try (Tensor target = Tensor.wrap(new Storage(dst, Device.CPU, () -> {}), 0, e.dtype, src.shape());
             Tensor rowMajor = src.isTransposed() && src.dtype() != e.dtype ? Tensor.empty(src.dtype(), src.shape()) : null) {
            if (rowMajor != null) {
                Backends.cpu().copy(src, rowMajor);
                src = rowMajor;
            }
            Backends.cpu().copy(src, target);
        }
    }

    private static void moveOver(Path tmp, Path file) throws IOException {
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
