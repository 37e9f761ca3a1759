package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.floe.cli.PlanCommandTest.Result;
import dev.floe.config.ExperimentConfig;
import dev.floe.sweep.Sweep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code examples/*.yaml} is valid as shipped: an experiment config passes {@code floe plan}
 * (model built, policy resolved, data files found); a sweep file (top-level {@code base}) loads,
 * which builds every variant's model and finds its data as {@code floe plan} does. New example
 * files are picked up by listing the folder.
 */
class ExamplesValidTest {

    private static final Path EXAMPLES = Path.of("../examples");
    /** Takes its encoder from a component registry that a run must publish first (see its header). */
    private static final String NEEDS_REGISTRY = "fashion-from-registry.yaml";

    static Stream<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            List<Path> yaml = files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList();
            assertFalse(yaml.isEmpty(), "no examples found in " + EXAMPLES.toAbsolutePath());
            return yaml.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void everyExampleIsValidAsShipped(Path file) throws Exception {
        JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        if (tree.has("base")) {
            Sweep sweep = Sweep.load(file, null);
            assertFalse(sweep.variants().isEmpty(), file + " expands to no variant");
            assertFalse(sweep.seeds().isEmpty(), file + " has no seed");
            return;
        }
        if (file.getFileName().toString().equals(NEEDS_REGISTRY)) {
            ExperimentConfig.load(file); // the config itself parses and validates
            Result r = floe("plan", file.toString(), "--registry", file.resolveSibling("no-registry-here").toString());
            assertEquals(2, r.code(), r.out() + r.err());
            assertTrue(r.err().startsWith("floe: ") && r.err().contains("fmnist-encoder"), r.err());
            return;
        }
        Result r = floe("plan", file.toString());
        assertEquals(0, r.code(), file + ": " + r.err());
        assertTrue(r.out().contains("data files: found and readable"), r.out());
    }
}
