package dev.floe.run;

import ai.djl.engine.Engine;
import dev.floe.engine.FloeEngine;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** Versions of Floe, DJL, libtorch and the JVM, for provenance (run manifests, metrics). */
public final class Versions {

    /** Written by Maven into the floe-core jar. */
    private static final String POM_PROPERTIES = "/META-INF/maven/dev.floe/floe-core/pom.properties";
    /** When running from compiled classes rather than the jar. */
    static final String UNPACKAGED = "unpackaged";

    private Versions() {}

    /**
     * {@code floe, djl, pytorch, java, os, arch}.
     *
     * @return an unmodifiable map from name to version
     */
    public static Map<String, String> current() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("floe", floe());
        v.put("djl", Engine.getDjlVersion());
        v.put("pytorch", FloeEngine.get().getVersion());
        v.put("java", System.getProperty("java.runtime.version", System.getProperty("java.version")) + " ("
                + System.getProperty("java.vendor") + ")");
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        v.put("arch", System.getProperty("os.arch"));
        return v;
    }

    static String floe() {
        try (InputStream in = Versions.class.getResourceAsStream(POM_PROPERTIES)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String version = p.getProperty("version");
                if (version != null) {
                    return version;
                }
            }
        } catch (IOException e) {
            // fall through: provenance must not stop a run
        }
        String manifest = Versions.class.getPackage().getImplementationVersion();
        return manifest != null ? manifest : UNPACKAGED;
    }
}
