package dev.floe.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class TensorDataTest {

    static final float[] AWKWARD_FLOATS = {
        0f,
        -0f,
        Float.MIN_VALUE, // smallest subnormal
        -Float.MIN_VALUE,
        Float.intBitsToFloat(0x007fffff), // largest subnormal
        Float.MAX_VALUE,
        Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
        Float.NaN,
        Float.intBitsToFloat(0x7fc12345), // quiet NaN with a payload
        Float.intBitsToFloat(0xffc00001), // negative quiet NaN with a payload
        1.5f,
    };

    static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    @Test
    void floatsRoundTripBitExactly() {
        TensorData t = TensorData.ofFloats(new long[] {3, 4}, AWKWARD_FLOATS);
        assertEquals(DType.F32, t.dtype());
        assertEquals(12, t.numElements());
        assertEquals(48, t.byteLength());
        assertArrayEquals(bits(AWKWARD_FLOATS), bits(t.toFloats()));
    }

    @Test
    void bytesAreLittleEndianRowMajor() {
        TensorData t = TensorData.ofFloats(new long[] {2}, new float[] {1f, -2f});
        ByteBuffer data = t.data();
        byte[] raw = new byte[data.remaining()];
        data.get(raw);
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0xc0}, raw);
    }

    @Test
    void scalarAndEmptyShapes() {
        assertEquals(1, TensorData.ofFloats(new long[] {}, new float[] {7f}).numElements());
        TensorData empty = TensorData.ofFloats(new long[] {0, 5}, new float[0]);
        assertEquals(0, empty.numElements());
        assertEquals(0, empty.toFloats().length);
    }

    @Test
    void wrongByteCountIsRejectedWithShapeDtypeAndCounts() {
        ByteBuffer five = ByteBuffer.allocate(5);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new TensorData(DType.I32, new long[] {2}, five));
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
        assertTrue(e.getMessage().contains("has 5 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("= 8 bytes"), e.getMessage());
    }

    @Test
    void wrongValueCountAndNegativeDimensionAreRejected() {
        IllegalArgumentException count =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TensorData.ofFloats(new long[] {2, 3}, new float[5]));
        assertTrue(count.getMessage().contains("holds 6 elements but 5 values"), count.getMessage());
        IllegalArgumentException negative =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TensorData.ofFloats(new long[] {-1}, new float[0]));
        assertTrue(negative.getMessage().contains("negative dimension"), negative.getMessage());
    }

    @Test
    void toFloatsConvertsOnlyF32() {
        TensorData half = new TensorData(DType.F16, new long[] {2}, ByteBuffer.allocate(4));
        IllegalStateException e = assertThrows(IllegalStateException.class, half::toFloats);
        assertTrue(e.getMessage().contains("only F32"), e.getMessage());
        assertTrue(e.getMessage().contains("F16"), e.getMessage());
    }

    @Test
    void equalityIsByContent() {
        TensorData a = TensorData.ofFloats(new long[] {2}, new float[] {1f, Float.NaN});
        TensorData b = TensorData.ofFloats(new long[] {2}, new float[] {1f, Float.NaN});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, TensorData.ofFloats(new long[] {1, 2}, new float[] {1f, Float.NaN}));
        assertNotEquals(
                TensorData.ofFloats(new long[] {1}, new float[] {0f}),
                TensorData.ofFloats(new long[] {1}, new float[] {-0f}));
        ByteBuffer sameBytes = a.data();
        assertNotEquals(a, new TensorData(DType.I32, new long[] {2}, sameBytes));
    }

    @Test
    void isImmutableThroughItsAccessors() {
        long[] shape = {2};
        TensorData t = TensorData.ofFloats(shape, new float[] {1f, 2f});
        shape[0] = 99;
        t.shape()[0] = 99;
        assertArrayEquals(new long[] {2}, t.shape());
        ByteBuffer view = t.data();
        assertEquals(ByteOrder.LITTLE_ENDIAN, view.order());
        assertThrows(ReadOnlyBufferException.class, () -> view.putFloat(0, 5f));
        view.position(4);
        assertEquals(0, t.data().position());
        assertArrayEquals(new float[] {1f, 2f}, t.toFloats());
    }

    @Test
    void takesTheRemainingBytesOfTheBuffer() {
        ByteBuffer buffer = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(-1).putInt(7).putInt(-1);
        buffer.position(4).limit(8);
        TensorData t = new TensorData(DType.I32, new long[] {1}, buffer);
        assertEquals(7, t.data().getInt(0));
        assertEquals(4, t.byteLength());
    }
}
