/** Floe's benchmark harness: B1–B6 measured as ratios to their limits and peers, and the S1 soak. */
module dev.floe.bench {
    requires transitive dev.floe.core;
    requires java.management;
    requires com.microsoft.onnxruntime; // B8's peer

    exports dev.floe.bench;

    // settings records serialised into run manifests
    opens dev.floe.bench to com.fasterxml.jackson.databind;
}
