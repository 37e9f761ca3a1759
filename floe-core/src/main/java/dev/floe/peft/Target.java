package dev.floe.peft;

import dev.floe.nn.Linear;

/** A Linear layer chosen by a spec's glob, with the component that holds it. */
record Target(String component, Linear linear) {

    /** The layer's module path, e.g. {@code encoder/fc1}. */
    String path() {
        return linear.path();
    }
}
