package dev.lathe.bindings.mpi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Run under mpirun by {@link MpiBindingsTest}: every collective on rank-dependent data, one line per rank on
 * stdout: {@code rank size floatSums doubleSum doubleMin doubleMax broadcastByte}.
 */
public final class MpiCollectivesMain {
    public static void main(String[] args) {
        Mpi mpi = Mpi.load();
        int provided = mpi.initThread(Mpi.THREAD_SERIALIZED);
        if (provided < Mpi.THREAD_SERIALIZED) throw new IllegalStateException("thread level " + provided);
        int rank = mpi.rank(), size = mpi.size();
        try (Arena a = Arena.ofConfined()) {
            int n = 1000;
            MemorySegment floats = a.allocate(ValueLayout.JAVA_FLOAT, n);
            for (int i = 0; i < n; i++) floats.setAtIndex(ValueLayout.JAVA_FLOAT, i, (rank + 1) * i);
            mpi.allReduceSumFloats(floats, n);
            StringBuilder line = new StringBuilder(rank + " " + size);
            line.append(' ').append(floats.getAtIndex(ValueLayout.JAVA_FLOAT, 1)).append(',')
                    .append(floats.getAtIndex(ValueLayout.JAVA_FLOAT, n - 1));
            for (Mpi.Op op : Mpi.Op.values()) {
                MemorySegment d = a.allocate(ValueLayout.JAVA_DOUBLE);
                d.set(ValueLayout.JAVA_DOUBLE, 0, 0.5 + rank);
                mpi.allReduceDoubles(d, 1, op);
                line.append(' ').append(d.get(ValueLayout.JAVA_DOUBLE, 0));
            }
            MemorySegment b = a.allocate(4);
            b.set(ValueLayout.JAVA_INT, 0, rank == 0 ? 12345 : -1);
            mpi.broadcast(b, 4, 0);
            line.append(' ').append(b.get(ValueLayout.JAVA_INT, 0));
            mpi.barrier();
            System.out.println(line);
            System.out.flush();
        }
        mpi.finish();
    }
}
