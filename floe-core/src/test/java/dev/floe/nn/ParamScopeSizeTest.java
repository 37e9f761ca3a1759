package dev.floe.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import dev.floe.engine.FloeEngine;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parameters too large to make are refused with a message before anything is allocated. */
class ParamScopeSizeTest {

    private static final long TWO_TO_40 = 1L << 40;

    @Test
    void aWeightAboveTheLimitIsRefusedBeforeAllocating() {
        try (NDManager m = FloeEngine.newManager()) {
            Map<String, Param> sink = new LinkedHashMap<>();
            ParamScope scope = new ParamScope("head", m, 0, sink);

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Linear(scope.child("fc"), 64, TWO_TO_40));

            assertTrue(e.getMessage().startsWith("parameter head/fc/weight would have shape (1099511627776, 64), "
                    + "70368744177664 values (256.0 TiB as fp32), but one parameter holds at most "
                    + ParamScope.MAX_VALUES + " values"), e.getMessage());
            assertTrue(sink.isEmpty());
            assertEquals(0, FloeEngine.liveArrays(m));
        }
    }

    @Test
    void aShapeWhoseSizeOverflowsIsRefusedNotWrappedAround() {
        try (NDManager m = FloeEngine.newManager()) {
            ParamScope scope = new ParamScope("encoder", m, 0, new LinkedHashMap<>());

            // 2^62 * 16 * 9 wraps to 0 in a long: it must not be taken for an empty tensor
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Conv2d(scope.child("conv"), 16, 1L << 62, 3, 1, false));

            assertTrue(e.getMessage().contains("more than 2^63 values"), e.getMessage());
            assertEquals(0, FloeEngine.liveArrays(m));
        }
    }

    @Test
    void aWeightLargerThanTheFreeHeapIsRefusedWithTheFix() {
        long heapValues = Runtime.getRuntime().maxMemory() / Float.BYTES;
        assumeTrue(heapValues < ParamScope.MAX_VALUES, "the heap is larger than the largest parameter");
        long out = heapValues / 1024 + 1; // out * 1024 values: more bytes than the whole heap
        try (NDManager m = FloeEngine.newManager()) {
            ParamScope scope = new ParamScope("mlp", m, 0, new LinkedHashMap<>());

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Linear(scope.child("fc1"), 1024, out));

            assertTrue(e.getMessage().contains("the Java heap has free for its initial values")
                    && e.getMessage().contains("-Xmx"), e.getMessage());
            assertEquals(0, FloeEngine.liveArrays(m));
        }
    }

    @Test
    void nonPositiveSizesAreRefusedByTheLayers() {
        try (NDManager m = FloeEngine.newManager()) {
            ParamScope scope = new ParamScope("net", m, 0, new LinkedHashMap<>());

            IllegalArgumentException linear = assertThrows(IllegalArgumentException.class,
                    () -> new Linear(scope.child("fc"), 0, 4));
            IllegalArgumentException conv = assertThrows(IllegalArgumentException.class,
                    () -> new Conv2d(scope.child("conv"), 3, -1, 3, 1, false));

            assertEquals("linear net/fc: features must be positive, found 0 in and 4 out", linear.getMessage());
            assertEquals("conv net/conv: channels must be positive, found 3 in and -1 out", conv.getMessage());
        }
    }
}
