/**
 * Floe's library: components with checked ports, freeze policies and plans, the grouped optimizer,
 * schedules, the trainer, feature cache, PEFT modules, importers, configs and the run model. Every
 * package here is API; helpers inside them stay package-private.
 */
module dev.floe.core {
    requires transitive ai.djl.api;
    requires ai.djl.pytorch_engine;
    requires ai.djl.tokenizers;
    requires transitive com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires org.yaml.snakeyaml;
    requires jdk.management;

    exports dev.floe.cache;
    exports dev.floe.components;
    exports dev.floe.config;
    exports dev.floe.data;
    exports dev.floe.engine;
    exports dev.floe.explain;
    exports dev.floe.export;
    exports dev.floe.freeze;
    exports dev.floe.graph;
    exports dev.floe.io;
    exports dev.floe.nn;
    exports dev.floe.onnx;
    exports dev.floe.optim;
    exports dev.floe.peft;
    exports dev.floe.profile;
    exports dev.floe.run;
    exports dev.floe.schedule;
    exports dev.floe.text;
    exports dev.floe.torchscript;
    exports dev.floe.train;

    // records that Jackson reads and writes (configs, manifests, checkpoint records)
    opens dev.floe.config to com.fasterxml.jackson.databind;
    opens dev.floe.run to com.fasterxml.jackson.databind;
    opens dev.floe.train to com.fasterxml.jackson.databind;
    opens dev.floe.schedule to com.fasterxml.jackson.databind;
}
