package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.YAML;
import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configs built to exhaust the YAML reader fail fast, with a message and without a stack trace. */
class ConfigLimitsTest {

    /** Far more than any of these needs when refused early, far less than an expansion would take. */
    private static final Duration FAST = Duration.ofSeconds(5);

    private static ConfigException refused(String yaml) {
        return assertTimeoutPreemptively(FAST, () -> assertThrows(ConfigException.class, () -> parse(yaml)));
    }

    @Test
    void billionLaughsIsRefusedAtItsFirstAlias() {
        StringBuilder bomb = new StringBuilder("lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int level = 1; level < 10; level++) {
            String previous = "*lol" + (level - 1);
            bomb.append("lol").append(level).append(": &lol").append(level).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(10, previous))).append("]\n");
        }

        ConfigException e = refused(bomb + YAML);

        assertMentions(e, "exp.yaml line 2", "YAML alias *lol0 is not supported", "write the value out in full");
    }

    @Test
    void aliasIsRefusedInsteadOfBeingReadAsItsName() {
        // without the check, *train would be the string "train": a data path that silently changes
        String yaml = YAML.replace("{images: fashion-mnist/train-images-idx3-ubyte.gz,",
                        "{images: &train fashion-mnist/train-images-idx3-ubyte.gz,")
                .replace("{images: fashion-mnist/test-images-idx3-ubyte.gz,", "{images: *train,");

        ConfigException e = refused(yaml);

        assertMentions(e, "exp.yaml line 5", "YAML alias *train");
    }

    @Test
    void deepNestingIsRefusedWithTheLimit() {
        int depth = 100_000;
        String yaml = YAML + "extra: " + "[".repeat(depth) + "]".repeat(depth) + "\n";

        ConfigException e = refused(yaml);

        assertMentions(e, "exp.yaml", "nests deeper than a config can (the limit is " + ConfigReader.MAX_NESTING + ")",
                "unbalanced brackets");
    }

    @Test
    void oversizedFileIsRefusedBeforeParsing() {
        String yaml = YAML + "# padding\n".repeat(ConfigReader.MAX_CONFIG_BYTES / 10 + 1);

        ConfigException e = refused(yaml);

        assertMentions(e, "exp.yaml", "bytes, more than the " + ConfigReader.MAX_CONFIG_BYTES, "check that this is the config file");
    }

    @Test
    void anOversizedConfigFileIsRefusedBeforeItIsRead(@TempDir Path tmp) throws Exception {
        Path big = tmp.resolve("big.yaml");
        try (var out = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            out.position(64L << 20).write(java.nio.ByteBuffer.wrap(new byte[] {'\n'})); // 64 MiB, sparse
        }
        ConfigException e = assertTimeoutPreemptively(FAST,
                () -> assertThrows(ConfigException.class, () -> ExperimentConfig.read(big)));
        assertMentions(e, "big.yaml", "more than the " + ConfigReader.MAX_CONFIG_BYTES + " a config may have");
    }

    @Test
    void aFolderNamedAsAFileIsCalledAFolderAtItsKey(@TempDir Path tmp) throws Exception {
        java.nio.file.Files.createDirectories(tmp.resolve("weights.safetensors"));
        ConfigException init = assertThrows(ConfigException.class,
                () -> ConfigPaths.configFile("weights.safetensors", tmp, "model.init[0].path"));
        assertEquals("model.init[0].path", init.where());
        assertMentions(init, "is a folder", "expected a file");
        ConfigException data = assertThrows(ConfigException.class,
                () -> ConfigPaths.dataFile("weights.safetensors", tmp, "data.train.path"));
        assertEquals("data.train.path", data.where());
        assertMentions(data, "is a folder");
    }
}
