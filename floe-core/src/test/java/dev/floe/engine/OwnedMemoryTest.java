package dev.floe.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class OwnedMemoryTest {

    private static ByteBuffer direct(float... values) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(values);
        return b;
    }

    @Test
    void createFromJavaDataUsesTheJavaBufferAsStorageAndOwnedCopiesOutOfIt() {
        try (NDManager m = FloeEngine.newManager()) {
            ByteBuffer javaMemory = direct(1, 2, 3);
            NDArray wrapped = m.create(javaMemory, new Shape(3), DataType.FLOAT32);
            ByteBuffer javaMemory2 = direct(1, 2, 3);
            NDArray owned = FloeEngine.owned(m.create(javaMemory2, new Shape(3), DataType.FLOAT32));
            javaMemory.asFloatBuffer().put(0, 7f);
            javaMemory2.asFloatBuffer().put(0, 7f);
            assertEquals(7f, wrapped.toFloatArray()[0], 0f, "DJL's create() on the CPU wraps the direct buffer, no copy");
            assertArrayEquals(new float[] {1, 2, 3}, owned.toFloatArray(), 0f, "owned() holds its own copy");
        }
    }

    @Test
    void ownedKeepsShapeTypeAndManagerAndClosesTheStagingArray() {
        try (NDManager m = FloeEngine.newManager()) {
            NDArray staging = m.create(new long[] {4, 5, 6, 7}, new Shape(2, 2));
            NDArray owned = FloeEngine.owned(staging);
            assertEquals(new Shape(2, 2), owned.getShape());
            assertEquals(DataType.INT64, owned.getDataType());
            assertEquals(m, owned.getManager());
            assertArrayEquals(new long[] {4, 5, 6, 7}, owned.toLongArray());
            assertEquals(1, FloeEngine.liveArrays(m), "only the copy is alive");
        }
    }

    @Test
    void stagedArraysAreCopiesTheNextCallCannotOverwrite() {
        try (NDManager m = FloeEngine.newManager()) {
            NDArray first = FloeEngine.owned(m, new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray second = FloeEngine.owned(m, new float[] {9, 8}, new Shape(2)); // reuses the staging buffer
            NDArray ids = FloeEngine.owned(m, new long[] {7, 6, 5}, new Shape(3)); // same buffer as int64
            int rows = 3000; // larger than the buffer so far: it grows
            NDArray big = FloeEngine.ownedFloats(m, new Shape(rows, 100), b -> {
                for (int i = 0; i < rows * 100; i++) {
                    b.put(i);
                }
            });
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, first.toFloatArray(), 0f);
            assertEquals(new Shape(2, 3), first.getShape());
            assertArrayEquals(new float[] {9, 8}, second.toFloatArray(), 0f);
            assertArrayEquals(new long[] {7, 6, 5}, ids.toLongArray());
            assertEquals(DataType.INT64, ids.getDataType());
            assertEquals(299_999f, big.toFloatArray()[rows * 100 - 1], 0f);
            assertEquals(4, FloeEngine.liveArrays(m), "no staging array stays alive");
        }
    }

    @Test
    void stagingRefusesTooFewOrTooManyValues() {
        try (NDManager m = FloeEngine.newManager()) {
            IllegalStateException few = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> FloeEngine.owned(m, new float[] {1, 2, 3}, new Shape(2, 2)));
            assertEquals("a tensor of shape (2, 2) needs 4 values but 3 were written", few.getMessage());
            org.junit.jupiter.api.Assertions.assertThrows(java.nio.BufferOverflowException.class,
                    () -> FloeEngine.owned(m, new long[] {1, 2, 3}, new Shape(2)));
            assertEquals(0, FloeEngine.liveArrays(m));
        }
    }
}
