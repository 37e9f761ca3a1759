package dev.floe.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Publisher processes racing, and publishers killed half-way. */
class ConcurrencyTest {

    private static final int PROCESSES = 8;
    private static final int PUBLISHES_EACH = 3;
    private static final long CHILD_TIMEOUT_S = 120;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {TestStores.SQLITE, TestStores.POSTGRES})
    void eightProcessesPublishingAtOnceLoseNothingAndGetDistinctVersions(String kind) throws Exception {
        RegistryLocation where = TestStores.fresh(kind, tmp);
        // no schema yet: the eight processes also race to create it, then to number their versions
        List<Process> children = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (int p = 0; p < PROCESSES; p++) {
            // one run folder per publish: publishing the same run's component again records no new version
            List<Path> runs = new ArrayList<>();
            for (int k = 0; k < PUBLISHES_EACH; k++) {
                runs.add(TestRuns.write(tmp.resolve("run" + p + "-" + k), "run-p" + p + "-" + k, null, p + 1,
                        "encoder/**", 0.5).dir());
            }
            Path log = tmp.resolve("child" + p + ".log");
            logs.add(log);
            children.add(PublishChild.start(where, "enc", null, null, null, log, runs));
        }
        List<String> printed = new ArrayList<>();
        for (int p = 0; p < PROCESSES; p++) {
            assertTrue(children.get(p).waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "child " + p + " finished");
            String out = Files.readString(logs.get(p));
            assertEquals(0, children.get(p).exitValue(), out);
            printed.addAll(out.lines().filter(l -> l.startsWith("enc@")).toList());
        }
        int total = PROCESSES * PUBLISHES_EACH;
        List<String> expected = IntStream.rangeClosed(1, total).mapToObj(i -> "enc@" + i).toList();
        assertEquals(expected, printed.stream().sorted((a, b) -> Integer.compare(num(a), num(b))).toList(),
                "every publish got its own version, none lost");
        try (Registry registry = Registry.open(where)) {
            List<ComponentVersion> versions = registry.versions("enc");
            assertEquals(total, versions.size());
            Map<String, Long> perRun = versions.stream()
                    .collect(Collectors.groupingBy(v -> v.ledger().origin().runId(), TreeMap::new, Collectors.counting()));
            assertEquals(total, perRun.size());
            perRun.values().forEach(n -> assertEquals(1L, n));
            assertTrue(registry.verify().ok());
        }
    }

    @ParameterizedTest(name = "{0} at {1}")
    @org.junit.jupiter.params.provider.CsvSource({
        "sqlite, blob-written", "sqlite, before-commit", "postgres, blob-written", "postgres, before-commit"})
    void aPublisherKilledMidPublishLeavesNoHalfVersion(String kind, String step) throws Exception {
        RegistryLocation where = TestStores.fresh(kind, tmp);
        TestRuns.TestRun run = TestRuns.write(tmp.resolve("run"), "run-k", null, 1f, "encoder/**", 0.5);
        try (Registry registry = Registry.open(where)) {
            registry.publish(run.dir(), "encoder", "enc", "prod", null);
        }
        Path marker = tmp.resolve("paused");
        Path log = tmp.resolve("child.log");
        TestRuns.TestRun next = TestRuns.write(tmp.resolve("run2"), "run-k2", null, 2f, "encoder/**", 0.6);
        Process child = PublishChild.start(where, "enc", "prod", step, marker, log, List.of(next.dir()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
        while (!Files.exists(marker) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(marker), "the child reached " + step + ": " + Files.readString(log));
        child.destroyForcibly(); // SIGKILL: no shutdown hooks, no rollback by the child
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));

        try (Registry registry = Registry.open(where)) {
            assertEquals(List.of(1), registry.versions("enc").stream().map(ComponentVersion::version).toList(),
                    "the killed publish left no version");
            assertEquals(1, registry.resolve("enc@prod").version(), "nor moved the tag");
            VerifyReport report = registry.verify();
            assertTrue(report.ok(), report.toString());
            assertEquals(1, report.unreferenced().size(), "its blob is there, unused: " + report);
            ComponentVersion v = registry.publish(next.dir(), "encoder", "enc", "prod", null);
            assertEquals(2, v.version(), "the registry goes on as before");
            assertEquals(2, registry.resolve("enc@prod").version());
            assertFalse(registry.verify().unreferenced().contains(v.blobSha256()));
        }
    }

    private static int num(String ref) {
        return Integer.parseInt(ref.substring(ref.indexOf('@') + 1));
    }
}
