package dev.floe.cli;

import static dev.floe.cli.PlanCommandTest.floe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.floe.config.ExperimentConfig;
import dev.floe.run.Experiment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code floe profile}, run in-process on the bundled fine-tuning example for a few steps. */
class ProfileCommandTest {

    @Test
    void writesJsonChartsAndHtmlAndPrintsAdviceAsPolicyRulesThatResolve(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("prof");

        PlanCommandTest.Result r = floe("profile", PlanCommandTest.EXAMPLE.toString(), "--out", out.toString(),
                "--steps", "3");

        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(out.resolve("profile.json").toFile());
        assertEquals("floe-profile", json.get("format").asText());
        assertEquals(3, json.get("steps").asInt());
        assertEquals(4, json.get("layers").size(), json.toString()); // stem, block1, block2, head/fc
        JsonNode stem = json.get("layers").get(0);
        assertEquals("encoder/stem", stem.get("layer").asText());
        assertEquals("frozen", stem.get("state").asText());
        assertTrue(stem.get("grad_norm").get("mean").asDouble() > 0, "a frozen layer's gradient is measured");
        assertEquals(3, stem.get("grad_norm").get("per_step").size());
        assertTrue(stem.get("update_ratio").isNull());
        for (String png : new String[] {"grad_norms.png", "component_time.png", "component_memory.png"}) {
            byte[] bytes = Files.readAllBytes(out.resolve(png));
            assertEquals((byte) 0x89, bytes[0], png + " is a PNG");
            assertEquals('P', bytes[1]);
        }
        String html = Files.readString(out.resolve("profile.html"));
        assertTrue(html.contains("data:image/png;base64,"
                + Base64.getEncoder().encodeToString(Files.readAllBytes(out.resolve("grad_norms.png")))),
                "the page embeds the chart itself");
        assertFalse(html.contains("src=\"grad_norms.png\""), "no link to a file next to it");

        String policy = r.out().substring(r.out().indexOf("\npolicy:\n") + 1, r.out().indexOf("\n\nwrote "));
        assertEquals(json.get("policy_yaml").asText().strip(), policy.strip());
        assertTrue(r.out().contains("advice (* = differs from the profiled plan):"), r.out());
        // the printed rules replace the example's policy: the config reader takes them and they resolve
        String yaml = Files.readString(PlanCommandTest.EXAMPLE);
        int start = yaml.indexOf("\npolicy:");
        int end = yaml.indexOf("\noptimizer:");
        String advised = yaml.substring(0, start + 1) + policy.strip() + "\n" + yaml.substring(end);
        ExperimentConfig cfg = ExperimentConfig.parse(advised.getBytes(StandardCharsets.UTF_8), "advised.yaml");
        try (Experiment e = Experiment.build(cfg, PlanCommand.folderOf(PlanCommandTest.EXAMPLE))) {
            assertEquals(4, e.config().policy().size());
        }
    }

    @Test
    void aFolderThatHoldsFilesIsRefusedWithoutForceAndNothingIsWritten(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("keep.txt"), "mine");

        PlanCommandTest.Result r = floe("profile", PlanCommandTest.EXAMPLE.toString(), "--out", dir.toString(),
                "--steps", "1");

        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("floe: output folder " + dir + " already holds a run; choose another --out or add"
                + " --force"), r.err());
        assertFalse(Files.exists(dir.resolve("profile.json")));
    }
}
