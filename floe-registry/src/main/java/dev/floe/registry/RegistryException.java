package dev.floe.registry;

/**
 * A registry that cannot do what was asked because of its own state: it cannot be reached, was
 * written by a newer Floe, or holds a missing or corrupted blob. The message names the registry or
 * the version, what was expected, what was found and how to fix it. Bad arguments (a malformed name,
 * a version that does not exist) are {@link IllegalArgumentException}s instead.
 */
public class RegistryException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * A registry problem described by {@code message}.
     *
     * @param message what went wrong and how to fix it
     */
    public RegistryException(String message) {
        super(message);
    }

    /**
     * A registry problem described by {@code message}, caused by {@code cause}.
     *
     * @param message what went wrong and how to fix it
     * @param cause the lower-level failure
     */
    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
