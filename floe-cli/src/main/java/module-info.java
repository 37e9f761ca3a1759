/** The {@code floe} command and the demos it runs. Only dev.floe.sweep is API: its executor interface, for other engines. */
module dev.floe.cli {
    requires dev.floe.core;
    requires dev.floe.registry;
    requires dev.floe.bench;
    requires info.picocli;
    requires me.tongfei.progressbar;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires jdk.management;
    requires java.desktop; // charts (JFreeChart), saliency and attention pictures (java.awt, ImageIO), headless
    requires org.jfree.jfreechart;

    // picocli sets options by reflection; demo settings records are serialised into run manifests
    opens dev.floe.cli to info.picocli;
    opens dev.floe.demo to com.fasterxml.jackson.databind;
    // sweeps: the executor interface is for other engines; Jackson reads sweep files into its records
    exports dev.floe.sweep;
    opens dev.floe.sweep to com.fasterxml.jackson.databind;
}
