package dev.floe.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

/**
 * A lookup table: int64 ids {@code (...)} in {@code [0, vocab)} give rows {@code (..., dim)} of the
 * {@code weight} table {@code (vocab, dim)}. Gradients flow into the rows that were looked up (dense
 * gradient, so any optimizer works).
 *
 * <p>The parameter is named {@code weight}, as in Hugging Face checkpoints.
 */
public final class Embedding implements Layer {

    /** Standard deviation of the initial table, as BERT's {@code initializer_range}. */
    public static final double INIT_STD = 0.02;

    private final String path;
    private final long vocab;
    private final long dim;
    private final Param weight;

    /**
     * Creates the table {@code weight (vocab, dim)} in {@code scope}, normal with std {@value #INIT_STD}.
     *
     * @param scope the scope that names and owns the table
     * @param vocab the number of rows, at least 1
     * @param dim the width of a row, at least 1
     * @throws IllegalArgumentException naming the layer on a non-positive size
     */
    public Embedding(ParamScope scope, long vocab, long dim) {
        this.path = scope.path();
        if (vocab <= 0 || dim <= 0) {
            throw new IllegalArgumentException(
                    "embedding " + path + ": vocab and dim must be positive, found vocab " + vocab + ", dim " + dim);
        }
        this.vocab = vocab;
        this.dim = dim;
        this.weight = scope.create("weight", ParamKind.WEIGHT, new Shape(vocab, dim), new Init.Normal(INIT_STD));
        scope.register(this);
    }

    @Override
    public String path() {
        return path;
    }

    /**
     * Number of rows.
     *
     * @return the number of rows
     */
    public long vocab() {
        return vocab;
    }

    /**
     * Width of a row.
     *
     * @return the row width
     */
    public long dim() {
        return dim;
    }

    /**
     * The table, shape {@code (vocab, dim)}.
     *
     * @return the table parameter
     */
    public Param weight() {
        return weight;
    }

    /**
     * Looks rows up.
     *
     * @param input int64 ids of any shape {@code (...)}
     * @return {@code (..., dim)}
     * @throws IllegalArgumentException naming the layer when the ids are not int64 or out of range
     */
    @Override
    public NDArray forward(ForwardContext context, NDArray input) {
        if (input.getDataType() != DataType.INT64) {
            throw new IllegalArgumentException(
                    "embedding " + path + " takes int64 ids but got " + input.getDataType()
                            + "; convert the ids with toType(INT64)");
        }
        if (input.size() > 0) {
            long min = input.min().getLong();
            long max = input.max().getLong();
            if (min < 0 || max >= vocab) {
                throw new IllegalArgumentException(
                        "embedding " + path + " has " + vocab + " rows but got ids in [" + min + ", " + max
                                + "]; ids must lie in [0, " + vocab + ") — check the tokenizer matches the model");
            }
        }
        return ai.djl.nn.core.Embedding.embedding(input, weight.array(), SparseFormat.DENSE)
                .singletonOrThrow(); // (..., dim)
    }
}
