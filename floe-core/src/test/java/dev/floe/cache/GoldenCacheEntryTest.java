package dev.floe.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.floe.data.Examples;
import dev.floe.freeze.FreezePolicy;
import dev.floe.graph.ModelGraph;
import dev.floe.io.AtomicFiles;
import dev.floe.io.Json;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feature-cache entries written by earlier Floe versions are still served: the stored
 * {@code floe-feature-cache/1} entry (see its README), placed under today's key for its prefix and
 * data, is a hit and holds what the prefix computes today; and entries record which run made them.
 */
class GoldenCacheEntryTest {

    @Test
    void aFirstLayoutEntryIsServedAndHoldsWhatThePrefixComputes(@TempDir Path tmp) throws Exception {
        Path golden = Path.of(GoldenCacheEntryTest.class.getResource("golden/entry-v1/meta.json").toURI()).getParent();
        Examples data = Examples.of(FeatureCacheTest.images(6, 9), "image");
        try (ModelGraph g = FeatureCacheTest.graph(1)) {
            Prefix prefix = Prefix.of(FreezePolicy.builder().freeze("encoder").build().resolve(g), List.of("logits"));
            Path dir = tmp.resolve("cache");
            AtomicFiles.copyTree(golden, dir.resolve(FeatureCache.key(g, prefix, data)));
            Features served;
            try (FeatureCache cache = FeatureCache.onDisk(dir, 0)) {
                served = cache.features(g, prefix, data);
                assertEquals(new FeatureCache.Stats(1, 0, 0, 0.0), cache.stats(), "a hit, nothing rebuilt");
            }
            Features computed;
            try (FeatureCache fresh = FeatureCache.inMemory(1 << 20)) {
                computed = fresh.features(g, prefix, data);
            }
            assertNotNull(served);
            FloatBuffer a = served.values().get("encoder.features").duplicate().rewind();
            FloatBuffer b = computed.values().get("encoder.features").duplicate().rewind();
            assertEquals(b, a, "the stored features are what the prefix computes");
        }
    }

    @Test
    void diskEntriesRecordTheRunThatWroteThem(@TempDir Path tmp) throws Exception {
        Examples data = Examples.of(FeatureCacheTest.images(6, 9), "image");
        Map<String, String> provenance = Map.of("floe.run_id", "run-x", "floe.recipe_sha256", "ab".repeat(32));
        try (ModelGraph g = FeatureCacheTest.graph(1); FeatureCache cache = FeatureCache.onDisk(tmp, 0).provenance(provenance)) {
            Prefix prefix = Prefix.of(FreezePolicy.builder().freeze("encoder").build().resolve(g), List.of("logits"));
            cache.features(g, prefix, data);
            JsonNode meta = Json.mapper().readTree(tmp.resolve(FeatureCache.key(g, prefix, data)).resolve("meta.json").toFile());
            assertEquals("run-x", meta.get("provenance").get("floe.run_id").asText());
            assertEquals("ab".repeat(32), meta.get("provenance").get("floe.recipe_sha256").asText());
        }
    }
}
