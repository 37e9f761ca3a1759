package dev.floe.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/peft-methods.yaml compares five methods at one budget, and every variant loads and
 * builds as a sweep (a {@code peft} key or glob that does not fit the model fails the load).
 */
class PeftMethodsExampleTest {

    private static final Path EXAMPLE = Path.of("../examples/peft-methods.yaml");

    @TempDir
    Path dir;

    @Test
    void theFiveMethodsShareOneBudgetAndEveryVariantBuilds() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode sweep = (ObjectNode) yaml.readTree(EXAMPLE.toFile());
        List<String> names = new ArrayList<>();
        sweep.get("variants").forEach(v -> names.add(v.get("name").asText()));
        assertEquals(List.of("lora", "dora", "ia3", "prefix", "adapters"), names);
        for (JsonNode v : sweep.get("variants")) {
            assertEquals(List.of("peft"), iterate(v.get("set")), v.get("name") + " changes only the peft section");
        }

        sweep.set("seeds", yaml.createArrayNode().add(1));
        sweep.put("base", EXAMPLE.toAbsolutePath().getParent().resolve("text-lora.yaml").toString());
        Path copy = dir.resolve("peft-methods.yaml");
        Files.writeString(copy, yaml.writeValueAsString(sweep));
        Sweep loaded = Sweep.load(copy, null); // builds every variant's model: fails on a key or glob that does not fit
        assertEquals(names, loaded.variants().stream().map(Variant::name).toList());
    }

    private static List<String> iterate(JsonNode node) {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }
}
