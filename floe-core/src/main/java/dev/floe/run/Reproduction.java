package dev.floe.run;

import dev.floe.config.ComponentSource;
import dev.floe.config.ExperimentData;
import dev.floe.io.Hashing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code floe reproduce} needs from a manifest, checked before anything runs: the config's exact
 * bytes, the folder its relative paths started from, and that every file the run read still holds
 * what it held then.
 *
 * @param manifest the manifest of the run to reproduce
 * @param configBytes the config's exact bytes
 * @param source the config's original name
 * @param base the folder its relative paths start from
 */
public record Reproduction(RunManifest manifest, byte[] configBytes, String source, Path base) {

    /**
     * Reads the recipe of {@code manifest} and checks its files.
     *
     * @param manifest the manifest of the run to reproduce
     * @return the recipe with its files checked
     * @throws IllegalArgumentException when the run was not made from a config, its recorded config
     *     does not match its recorded hash, or a file it read is missing or changed (naming the file,
     *     its config key, both hashes and the fix)
     */
    public static Reproduction of(RunManifest manifest) {
        RunManifest.ConfigRecord c = manifest.recipe().config();
        if (c == null) {
            throw new IllegalArgumentException("run " + manifest.id() + " was made by floe " + manifest.command()
                    + ", not from a config, so floe reproduce cannot rerun it; rerun that command with the seed its"
                    + " manifest records");
        }
        byte[] bytes = c.text().getBytes(StandardCharsets.UTF_8);
        String sha = Hashing.sha256Hex(bytes);
        if (!sha.equals(c.sha256())) {
            throw new IllegalArgumentException("the manifest of run " + manifest.id() + " is damaged: its config text"
                    + " has SHA-256 " + sha + " but it records " + c.sha256() + "; restore manifest.json from a copy");
        }
        checkFiles(manifest.id(), manifest.recipe().files());
        return new Reproduction(manifest, bytes, c.source(), Path.of(c.baseDir()));
    }

    /**
     * Checks that the data read for the rerun is the data the run used: same files (by config key and
     * content) and same example fingerprints.
     *
     * @param data the data read for the rerun
     * @throws IllegalArgumentException naming the file or data set that differs
     */
    public void checkData(ExperimentData data) {
        for (RunManifest.FileRecord f : manifest.recipe().files()) {
            Path now = data.files().get(f.key());
            if (now == null && !f.key().startsWith("model.")) {
                throw new IllegalArgumentException("the config no longer reads " + f.key() + " (" + f.path()
                        + "); reproduce with the Floe version that made run " + manifest.id());
            }
            // a file at the recorded path was hashed by of(); only one found elsewhere needs hashing
            if (now != null && !now.toAbsolutePath().normalize().equals(Path.of(f.path()))) {
                String sha = sha256(now, f.key());
                if (!sha.equals(f.sha256())) {
                    throw new IllegalArgumentException(f.key() + " now resolves to " + now.toAbsolutePath()
                            + ", whose SHA-256 is " + sha + ", but run " + manifest.id() + " read " + f.path()
                            + " with SHA-256 " + f.sha256() + "; put the file the run used back at " + f.path()
                            + " (relative data paths are looked up next to the config first, then in the datasets folder)");
                }
            }
        }
        for (RunManifest.DataRecord d : manifest.recipe().data()) {
            ExperimentData of = data;
            if (d.task() != null) {
                of = data.tasks().stream().filter(t -> t.name().equals(d.task())).map(ExperimentData.TaskData::data)
                        .findFirst().orElse(null);
                if (of == null) {
                    throw new IllegalArgumentException("the config no longer has task " + d.task() + ", which run "
                            + manifest.id() + " trained; reproduce with the config the run used");
                }
            }
            var set = d.role().equals("train") ? of.train() : of.eval();
            String now = set == null ? null : set.fingerprint();
            if (!d.fingerprint().equals(now)) {
                throw new IllegalArgumentException("the " + d.key() + " examples differ from those of run "
                        + manifest.id() + " (fingerprint " + now + ", recorded " + d.fingerprint() + ") although the"
                        + " files are the same; reproduce with the Floe version that made the run ("
                        + manifest.versions().get("floe") + ")");
            }
        }
    }

    /**
     * {@code source} with every registry reference the run resolved pinned to the version it resolved
     * then: a tag that has moved since ({@code fmnist-encoder@prod}) still gives the recorded version,
     * whose weights must still be the recorded ones. References the run did not record resolve as
     * {@code source} resolves them. Null stays null.
     *
     * @param source the source that resolves references the run did not record, or null
     * @return a source that resolves recorded references to their recorded versions, or null when
     *     {@code source} is null
     * @throws IllegalArgumentException (when resolving) if the recorded version now holds other weights
     */
    public ComponentSource pin(ComponentSource source) {
        return pin(manifest, source);
    }

    /**
     * {@code source} with every registry reference {@code manifest}'s run resolved pinned to the
     * version it resolved then, as {@link #pin(ComponentSource)}: for rebuilding the run's model
     * ({@link TrainedRun#open(Path, ComponentSource)}) as much as for rerunning it.
     *
     * @param manifest the manifest of the run
     * @param source the registry to resolve in, or null
     * @return the pinned source, or {@code source} when the run resolved nothing (null stays null)
     * @throws IllegalArgumentException (when resolving) if the recorded version now holds other weights
     */
    public static ComponentSource pin(RunManifest manifest, ComponentSource source) {
        List<RunManifest.SourcedRecord> recorded = manifest.recipe().registry();
        if (source == null || recorded == null || recorded.isEmpty()) {
            return source;
        }
        return new ComponentSource() {
            @Override
            public String scheme() {
                return source.scheme();
            }

            @Override
            public Resolved resolve(String ref, String name) {
                for (RunManifest.SourcedRecord r : recorded) {
                    if (r.ref().equals(ref) && r.component().equals(name)) {
                        Resolved now = source.resolve(r.name() + "@" + r.version(), name);
                        if (!now.weightsSha256().equals(r.weightsSha256())) {
                            throw new IllegalArgumentException(r.key() + ": " + r.name() + "@" + r.version()
                                    + ", which run " + manifest.id() + " used for " + ref + ", now holds weights with"
                                    + " SHA-256 " + now.weightsSha256() + " instead of " + r.weightsSha256()
                                    + "; the registry was altered — restore it or use the registry the run used");
                        }
                        // keep the reference as written, so the recipe is the one the run had
                        return new Resolved(ref, now.registryName(), now.version(), now.weightsSha256(),
                                now.weightsHash(), now.config(), now.weights());
                    }
                }
                return source.resolve(ref, name);
            }
        };
    }

    private static void checkFiles(String id, List<RunManifest.FileRecord> files) {
        for (RunManifest.FileRecord f : files) {
            Path p = Path.of(f.path());
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(f.key() + ": " + f.path() + " is missing; run " + id + " read it"
                        + " (SHA-256 " + f.sha256() + "); put that file back to reproduce the run");
            }
            String sha = sha256(p, f.key());
            if (!sha.equals(f.sha256())) {
                throw new IllegalArgumentException(f.key() + ": " + f.path() + " changed since run " + id + " read it"
                        + " (SHA-256 now " + sha + ", then " + f.sha256() + "); restore the file the run used to"
                        + " reproduce it, or train anew with floe train");
            }
        }
    }

    private static String sha256(Path p, String key) {
        try {
            return Hashing.sha256Hex(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + " (" + key + "): " + e.getMessage(), e);
        }
    }
}
