package dev.floe.config;

import static dev.floe.config.ExperimentConfigTest.YAML;
import static dev.floe.config.ExperimentConfigTest.assertMentions;
import static dev.floe.config.ExperimentConfigTest.parse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

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
}
