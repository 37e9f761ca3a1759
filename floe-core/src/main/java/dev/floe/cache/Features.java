package dev.floe.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.floe.engine.FloeEngine;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cached boundary values of a frozen prefix for every example of one data set: per boundary
 * endpoint, {@code rows} rows of {@code rowShape} floats, in memory or memory-mapped from disk.
 */
public final class Features {

    private final int rows;
    private final Map<String, long[]> rowShapes;
    private final Map<String, FloatBuffer> values;

    Features(int rows, Map<String, long[]> rowShapes, Map<String, FloatBuffer> values) {
        this.rows = rows;
        this.rowShapes = rowShapes;
        this.values = values;
    }

    /** Number of examples. */
    public int rows() {
        return rows;
    }

    /** Bytes held (in memory or mapped). */
    public long bytes() {
        long n = 0;
        for (FloatBuffer b : values.values()) {
            n += 4L * b.capacity();
        }
        return n;
    }

    Map<String, long[]> rowShapes() {
        return rowShapes;
    }

    Map<String, FloatBuffer> values() {
        return values;
    }

    /**
     * The cached values of the given examples as arrays in {@code manager}, keyed {@code component.port}
     * as {@link dev.floe.graph.ModelGraph#forwardFrom} takes them.
     */
    public Map<String, NDArray> gather(NDManager manager, int[] indices) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, FloatBuffer> e : values.entrySet()) {
            long[] one = rowShapes.get(e.getKey());
            int per = (int) new Shape(one).size();
            float[] batch = new float[indices.length * per];
            FloatBuffer src = e.getValue();
            for (int i = 0; i < indices.length; i++) {
                src.get(indices[i] * per, batch, i * per, per);
            }
            long[] shape = new long[one.length + 1];
            shape[0] = indices.length;
            System.arraycopy(one, 0, shape, 1, one.length);
            out.put(e.getKey(), FloeEngine.owned(manager.create(batch, new Shape(shape))));
        }
        return out;
    }
}
