package dev.lathe.train.distributed;

import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * One rank of {@link RendezvousTest}'s multi-process launch: joins from the torchrun-style environment; rank 0
 * sends {@link #uniqueId}; every rank prints the bytes it holds in hex, then "after barrier" once all have met.
 */
public final class RendezvousMain {
    private RendezvousMain() {}

    /** 128 seeded bytes standing for NCCL's unique id. */
    static byte[] uniqueId(long seed) {
        byte[] id = new byte[128];
        new SplittableRandom(seed).nextBytes(id);
        return id;
    }

    public static void main(String[] args) {
        LaunchEnv env = LaunchEnv.read(System.getenv());
        try (Rendezvous r = Rendezvous.join(env, Duration.ofSeconds(60))) {
            byte[] id = r.broadcast(env.rank() == 0 ? uniqueId(env.worldSize()) : null);
            r.barrier();
            System.out.println(HexFormat.of().formatHex(id) + " after barrier");
        }
    }
}
