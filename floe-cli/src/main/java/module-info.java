/** The {@code floe} command and the demos it runs. Nothing here is API. */
module dev.floe.cli {
    requires dev.floe.core;
    requires dev.floe.registry;
    requires dev.floe.bench;
    requires info.picocli;
    requires me.tongfei.progressbar;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires jdk.management;
    requires java.desktop;
    requires org.jfree.jfreechart;

    // picocli sets options by reflection; demo settings records are serialised into run manifests
    opens dev.floe.cli to info.picocli;
    opens dev.floe.demo to com.fasterxml.jackson.databind;
}
