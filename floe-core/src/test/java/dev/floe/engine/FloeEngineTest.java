package dev.floe.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class FloeEngineTest {

    @Test
    void engineStartsOfflineAndComputes() {
        assertEquals("PyTorch", FloeEngine.get().getEngineName());
        try (NDManager manager = FloeEngine.newManager()) {
            NDArray a = manager.create(new float[] {1, 2, 3});
            assertEquals(14f, a.mul(a).sum().getFloat(), 0f);
        }
    }
}
