package dev.floe.io;

import java.io.IOException;

/**
 * A consumer that may fail with an {@link IOException}, for bodies that write to a stream.
 *
 * @param <T> the type of the consumed value
 */
@FunctionalInterface
public interface IoConsumer<T> {

    /**
     * Consumes {@code t}.
     *
     * @param t the value to consume
     * @throws IOException if writing or reading fails; callers such as {@link AtomicFiles} propagate it
     */
    void accept(T t) throws IOException;
}
