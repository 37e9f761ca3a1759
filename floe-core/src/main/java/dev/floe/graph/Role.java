package dev.floe.graph;

/** What a component is for; reports group by it and schedules may refer to it. */
public enum Role {
    /** Turns raw input into features; usually pretrained and frozen. */
    ENCODER,
    /** A small module inserted to adapt an encoder's features. */
    ADAPTER,
    /** Maps features to task outputs; usually new and trained. */
    HEAD,
    /** Anything else. */
    OTHER
}
