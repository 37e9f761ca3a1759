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
    private final double computeSeconds;

    Features(int rows, Map<String, long[]> rowShapes, Map<String, FloatBuffer> values) {
        this(rows, rowShapes, values, 0);
    }

    private Features(int rows, Map<String, long[]> rowShapes, Map<String, FloatBuffer> values, double computeSeconds) {
        this.rows = rows;
        this.rowShapes = rowShapes;
        this.values = values;
        this.computeSeconds = computeSeconds;
    }

    Features withComputeSeconds(double seconds) {
        return new Features(rows, rowShapes, values, seconds);
    }

    /**
     * Seconds the prefix took to compute these values when the entry was made (by this process or,
     * for an entry read from disk, by the one that wrote it; 0 for entries written before this was
     * recorded): the time one pass over the data saves by reading them instead.
     *
     * @return seconds, 0 or more
     */
    public double computeSeconds() {
        return computeSeconds;
    }

    /**
     * Number of examples.
     *
     * @return the number of examples the entry holds
     */
    public int rows() {
        return rows;
    }

    /**
     * Bytes held (in memory or mapped).
     *
     * @return the size of the cached values in bytes (4 per float)
     */
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
     *
     * @param manager the manager that owns the returned arrays; the caller closes it
     * @param indices example indices into the cached rows, in batch order
     * @return one array per boundary value, shaped {@code [indices.length, ...row shape]}
     */
    public Map<String, NDArray> gather(NDManager manager, int[] indices) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, FloatBuffer> e : values.entrySet()) {
            long[] one = rowShapes.get(e.getKey());
            int per = (int) new Shape(one).size();
            FloatBuffer src = e.getValue();
            long[] shape = new long[one.length + 1];
            shape[0] = indices.length;
            System.arraycopy(one, 0, shape, 1, one.length);
            out.put(e.getKey(), FloeEngine.ownedFloats(manager, new Shape(shape), b -> {
                for (int index : indices) {
                    int at = b.position();
                    b.put(at, src, index * per, per); // absolute bulk copy: positions unchanged
                    b.position(at + per);
                }
            }));
        }
        return out;
    }
}
