package dev.floe.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.floe.io.AtomicFiles;
import dev.floe.registry.ComponentVersion;
import dev.floe.registry.Registry;
import dev.floe.registry.RegistryLocation;
import dev.floe.registry.TagEvent;
import dev.floe.registry.VerifyReport;
import dev.floe.registry.VersionDiff;
import dev.floe.registry.VersionRef;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code floe registry ...}: the component registry — publish a run's component, import weights,
 * list, show the ledger, lineage, diff, tag, rollback, verify, and move versions between
 * registries as bundles.
 */
@Command(
        name = "registry",
        mixinStandardHelpOptions = true,
        description = "Versioned components with their ledger. The registry is --registry DIR (or a"
                + " jdbc:postgresql: URL with --blobs DIR), else FLOE_REGISTRY, else ~/.floe/registry.",
        subcommands = {
            RegistryCommand.Publish.class, RegistryCommand.Import.class, RegistryCommand.Init.class,
            RegistryCommand.ListVersions.class, RegistryCommand.Show.class, RegistryCommand.Lineage.class,
            RegistryCommand.Diff.class, RegistryCommandCompare.class, RegistryCommand.Tag.class, RegistryCommand.Rollback.class,
            RegistryCommand.Verify.class, RegistryCommand.Gc.class, RegistryCommand.Export.class, RegistryCommand.ImportBundle.class
        })
final class RegistryCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--registry", paramLabel = "DIR|URL", scope = ScopeType.INHERIT,
            description = "registry folder, or jdbc:postgresql://HOST:PORT/DB (password in the URL or PGPASSWORD);"
                    + " default FLOE_REGISTRY, else ~/.floe/registry")
    String registry;

    @Option(names = "--blobs", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "blob folder of a PostgreSQL registry; default FLOE_REGISTRY_BLOBS")
    Path blobs;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the registry is: --registry (and --blobs), else FLOE_REGISTRY, else ~/.floe/registry. */
    RegistryLocation location() {
        return RegistryLocation.resolve(registry, blobs, System.getenv());
    }

    /** A subcommand: opens the registry the parent names, prints to the command line's output, flushes it. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand RegistryCommand parent;
        @Spec CommandSpec spec;

        @Override
        public final Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try {
                return run(out);
            } finally {
                out.flush();
            }
        }

        /** Does the work; returns the exit code. */
        abstract int run(PrintWriter out);
    }

    /** A subcommand that works on the open registry: opens it, runs, closes it. */
    abstract static class OnRegistry extends Sub {
        @Override
        int run(PrintWriter out) {
            RegistryLocation location = parent.location();
            if (!createsRegistry()) {
                requireExisting(location, spec.name());
            }
            Path created = location.folder() == null ? null : OutputDir.topmostMissing(location.folder());
            try (Registry r = Registry.open(location)) {
                return run(out, r);
            } catch (RuntimeException | Error e) {
                if (created != null) {
                    // the command failed: leave no empty registry behind at a path the user may have mistyped
                    try {
                        AtomicFiles.deleteTree(created);
                    } catch (IOException ignored) {
                        // the command's own error is what the user needs; a leftover folder is harmless
                    }
                }
                throw e;
            }
        }

        /** Does the work on the open registry; returns the exit code. */
        abstract int run(PrintWriter out, Registry r);

        /**
         * Whether this subcommand may create the registry folder: only those that add versions
         * (publish, import, init, import-bundle); the others refuse a folder that holds no registry,
         * so a mistyped {@code --registry} path is an error rather than a new, empty registry.
         */
        boolean createsRegistry() {
            return false;
        }
    }

    /**
     * Refuses a registry folder that does not exist or holds no registry database, naming the
     * subcommand and the fix; a PostgreSQL registry is left to the connection.
     */
    static void requireExisting(RegistryLocation location, String subcommand) {
        Path folder = location.folder();
        if (folder == null) {
            return;
        }
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("registry " + location.display() + " does not exist, so floe registry "
                    + subcommand + " has nothing to read; check --registry or " + RegistryLocation.ENV
                    + " (a registry is created by floe registry publish, import or init)");
        }
        if (!Files.isRegularFile(folder.resolve(RegistryLocation.DATABASE_FILE))) {
            throw new IllegalArgumentException("registry " + location.display() + " is not a registry: it has no "
                    + RegistryLocation.DATABASE_FILE + "; check --registry or " + RegistryLocation.ENV
                    + " (a registry is created by floe registry publish, import or init)");
        }
    }

    // ---- publish, import, init --------------------------------------------------------------------------------------

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = "Publish a component of a finished run (floe train --out RUN_DIR) as the next version;"
                    + " prints NAME@VERSION.")
    static final class Publish extends OnRegistry {

        @Override
        boolean createsRegistry() {
            return true;
        }

        @Parameters(index = "0", paramLabel = "RUN_DIR", description = "run folder with manifest.json and weights")
        Path run;

        @Option(names = "--component", required = true, description = "the component's name in the run's graph")
        String component;

        @Option(names = "--name", required = true, description = "registry name, e.g. fmnist-encoder")
        String name;

        @Option(names = "--tag", description = "point this tag at the new version")
        String tag;

        @Option(names = "--parent", paramLabel = "NAME@VERSION",
                description = "the version it was trained from; default: found by the weights the run started from")
        String parentRef;

        @Override
        int run(PrintWriter out, Registry r) {
            Registry.RunPublication p = r.publishRun(run, component, name, tag,
                    parentRef == null ? null : VersionRef.parse(parentRef));
            out.println(p.added() ? p.version().ref().toString() : p.version().ref() + " (already published from run "
                    + p.version().ledger().origin().runId() + ", component " + component + ", same weights; no new"
                    + " version" + (tag == null ? "" : ", tag " + tag + " points at it") + ")");
            return 0;
        }
    }

    /** Where a component's config comes from: inline YAML, or an entry of an experiment config. */
    static final class ComponentSource {
        @Option(names = "--component-config", paramLabel = "YAML",
                description = "the component's model.components entry, e.g."
                        + " '{name: encoder, type: conv_encoder, widths: [16, 32, 64]}'")
        String inline;

        @ArgGroup(exclusive = false)
        FromConfig fromConfig;

        static final class FromConfig {
            @Option(names = "--config", required = true, paramLabel = "CONFIG", description = "experiment config (YAML)")
            Path config;

            @Option(names = "--component", required = true, description = "the model.components entry to use")
            String component;
        }

        JsonNode resolve() {
            if (inline != null) {
                return Registry.parseComponentConfig(inline);
            }
            JsonNode root;
            try {
                root = new YAMLMapper().readTree(Files.readString(fromConfig.config));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read config " + fromConfig.config + ": " + e.getMessage()
                        + "; give an experiment config such as examples/fashion-finetune.yaml");
            }
            StringBuilder names = new StringBuilder();
            for (JsonNode c : root == null ? List.<JsonNode>of() : (Iterable<JsonNode>) root.path("model").path("components")::elements) {
                if (fromConfig.component.equals(c.path("name").asText())) {
                    return c;
                }
                names.append(names.length() == 0 ? "" : ", ").append(c.path("name").asText());
            }
            throw new IllegalArgumentException("config " + fromConfig.config + " has no model.components entry named '"
                    + fromConfig.component + "'; its components are [" + names + "]");
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import weights from a .safetensors, .onnx (float initializers) or .pt (TorchScript parameters)"
                    + " file as the next version of NAME; the tensors must fit the component exactly (ONNX and"
                    + " TorchScript names such as stem.conv.weight become paths stem/conv/weight). Prints NAME@VERSION.")
    static final class Import extends OnRegistry {

        @Override
        boolean createsRegistry() {
            return true;
        }

        @Parameters(index = "0", paramLabel = "FILE", description = "a .safetensors, .onnx or .pt file")
        Path file;

        @Option(names = "--name", required = true, description = "registry name")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        ComponentSource source;

        @Option(names = "--prefix", description = "import only tensors whose name starts with this, without it;"
                + " default: the component's name and '/' for safetensors, '' (all) for ONNX and TorchScript")
        String prefix;

        @Option(names = "--rename", paramLabel = "FILE_PREFIX=PATH_PREFIX",
                description = "replace a leading part of the file's names (after --prefix), e.g."
                        + " --rename encoder.0.=fc1/ ; the first that matches is used; repeatable")
        Map<String, String> renames = new java.util.LinkedHashMap<>();

        @Option(names = "--tag", description = "point this tag at the new version")
        String tag;

        @Option(names = "--parent", paramLabel = "NAME@VERSION", description = "the version these weights came from")
        String parentRef;

        @Override
        int run(PrintWriter out) {
            Registry.checkImportable(file); // before the registry is opened (and made, when new)
            return super.run(out);
        }

        @Override
        int run(PrintWriter out, Registry r) {
            ComponentVersion v = r.importWeights(file, source.resolve(), prefix, renames, name, tag,
                    parentRef == null ? null : VersionRef.parse(parentRef));
            out.println(v.ref());
            return 0;
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Record a component's initial weights from a seed as the next version of NAME."
                    + " Prints NAME@VERSION.")
    static final class Init extends OnRegistry {

        @Override
        boolean createsRegistry() {
            return true;
        }

        @Option(names = "--name", required = true, description = "registry name")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        ComponentSource source;

        @Option(names = "--seed", required = true, description = "initialisation seed")
        long seed;

        @Option(names = "--tag", description = "point this tag at the new version")
        String tag;

        @Override
        int run(PrintWriter out, Registry r) {
            out.println(r.initialise(source.resolve(), seed, name, tag).ref());
            return 0;
        }
    }

    // ---- reading ------------------------------------------------------------------------------------------------------

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Without NAME: every component with its newest version and tags. With NAME: its versions and"
                    + " the history of its tags.")
    static final class ListVersions extends OnRegistry {

        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "a component name")
        String name;

        @Override
        int run(PrintWriter out, Registry r) {
            if (name == null) {
                List<Registry.Summary> all = r.list();
                if (all.isEmpty()) {
                    out.println("registry " + r.location().display() + " is empty; publish a component with floe"
                            + " registry publish RUN_DIR --component NAME --name NAME");
                    return 0;
                }
                out.printf(Locale.ROOT, "%-28s %8s %7s  %-20s  %s%n", "name", "versions", "latest", "published", "tags");
                for (Registry.Summary s : all) {
                    out.printf(Locale.ROOT, "%-28s %8d %7d  %-20s  %s%n", s.name(), s.versions(), s.latest(),
                            s.latestPublishedAt(), RegistryText.tags(s.tags()));
                }
                return 0;
            }
            List<ComponentVersion> versions = r.versions(name);
            if (versions.isEmpty()) {
                r.resolve(name); // names the components there are
            }
            Map<String, Integer> tags = r.tags(name);
            out.print(RegistryText.versions(versions, tags));
            for (String tag : tags.keySet()) {
                out.print(RegistryText.history(r.tagHistory(name, tag)));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "A version and its ledger: origin, parent, config, ports, layers, parameters with their freeze"
                    + " state and deciding rule per stage, optimizer, data, metrics, who and when.")
    static final class Show extends OnRegistry {

        @Parameters(index = "0", paramLabel = "NAME@VERSION|NAME@TAG", description = "the version")
        String ref;

        @Option(names = "--json", description = "print the version and its ledger as JSON")
        boolean json;

        @Override
        int run(PrintWriter out, Registry r) {
            ComponentVersion v = r.resolve(ref);
            if (json) {
                out.print(v.toJson());
            } else {
                out.print(RegistryText.show(v, r.tags(v.name()), r.importedFrom(v)));
            }
            return 0;
        }
    }

    @Command(name = "lineage", mixinStandardHelpOptions = true,
            description = "The chain of parents of a version, newest first, with what changed at each step.")
    static final class Lineage extends OnRegistry {

        @Parameters(index = "0", paramLabel = "NAME@VERSION", description = "the version")
        String ref;

        @Override
        int run(PrintWriter out, Registry r) {
            List<ComponentVersion> chain = r.lineage(ref);
            for (int i = 0; i < chain.size(); i++) {
                ComponentVersion v = chain.get(i);
                out.println(RegistryText.headline(v));
                if (i + 1 < chain.size()) {
                    ComponentVersion p = chain.get(i + 1);
                    out.print(RegistryText.step(v, r.diff(p, v)));
                } else if (v.ledger().parent() != null) {
                    out.println("  parent " + v.ledger().parent() + " is not in this registry");
                } else {
                    out.println("  root: its weights did not come from a version in this registry");
                }
            }
            return 0;
        }
    }

    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = "What differs between two versions: config, ports, parameter shapes, weight deltas per"
                    + " parameter, ledger.")
    static final class Diff extends OnRegistry {

        @Parameters(index = "0", paramLabel = "A", description = "first version")
        String a;

        @Parameters(index = "1", paramLabel = "B", description = "second version")
        String b;

        @Override
        int run(PrintWriter out, Registry r) {
            VersionDiff d = r.diff(a, b);
            out.print(d.render());
            return 0;
        }
    }

    // ---- tags -----------------------------------------------------------------------------------------------------

    @Command(name = "tag", mixinStandardHelpOptions = true,
            description = "Point TAG (prod, candidate, any name) at a version; the move is kept in the tag's history.")
    static final class Tag extends OnRegistry {

        @Parameters(index = "0", paramLabel = "NAME@VERSION", description = "the version")
        String ref;

        @Parameters(index = "1", paramLabel = "TAG", description = "the tag")
        String tag;

        @Override
        int run(PrintWriter out, Registry r) {
            out.println(RegistryText.moved(r.tag(ref, tag)));
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Move TAG back to the version it pointed to before; recorded in the tag's history.")
    static final class Rollback extends OnRegistry {

        @Parameters(index = "0", paramLabel = "NAME", description = "the component name")
        String name;

        @Parameters(index = "1", paramLabel = "TAG", description = "the tag")
        String tag;

        @Override
        int run(PrintWriter out, Registry r) {
            out.println(RegistryText.moved(r.rollback(name, tag)));
            return 0;
        }
    }

    // ---- verify, bundles ------------------------------------------------------------------------------------------

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Re-hash every weight blob; report missing and corrupted ones with their versions."
                    + " Exit code 1 when any is.")
    static final class Verify extends OnRegistry {

        @Override
        int run(PrintWriter out, Registry r) {
            VerifyReport report = r.verify();
            out.print(RegistryText.verify(report));
            return report.ok() ? 0 : 1;
        }
    }

    @Command(name = "gc", mixinStandardHelpOptions = true,
            description = "Delete weight blobs no version references, and temporary files of interrupted writes, when"
                    + " they are older than --older-than minutes (default 60): a younger blob may belong to a publish"
                    + " that has not recorded its version yet.")
    static final class Gc extends OnRegistry {

        @Option(names = "--older-than", paramLabel = "MINUTES", defaultValue = "60",
                description = "delete only files last modified more than this many minutes ago (default ${DEFAULT-VALUE})")
        long minutes;

        @Option(names = "--dry-run", description = "list what would be deleted and delete nothing")
        boolean dryRun;

        @Override
        int run(PrintWriter out) {
            if (minutes < 0) {
                throw new IllegalArgumentException("--older-than " + minutes + " is negative; give minutes, e.g."
                        + " --older-than 60");
            }
            return super.run(out);
        }

        @Override
        int run(PrintWriter out, Registry r) {
            out.print(RegistryText.collected(r.collectGarbage(java.time.Duration.ofMinutes(minutes), dryRun), minutes));
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write a version and its ancestors, with their ledgers and weights, and the tags that point to"
                    + " them, with their history, to a new bundle folder.")
    static final class Export extends OnRegistry {

        @Parameters(index = "0", paramLabel = "NAME@VERSION", description = "the version")
        String ref;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "a new folder for the bundle")
        Path dir;

        @Override
        int run(PrintWriter out, Registry r) {
            Registry.Exported done = r.exportBundle(ref, dir);
            out.println("exported " + String.join(", ", done.versions().stream().map(v -> v.ref().toString()).toList())
                    + (done.tags().isEmpty() ? "" : " and tags " + String.join(", ",
                            done.tags().stream().map(Registry.BundleTag::toString).toList()))
                    + " to " + dir);
            return 0;
        }
    }

    @Command(name = "import-bundle", mixinStandardHelpOptions = true,
            description = "Import the versions of a bundle folder (floe registry export) with their ledgers and"
                    + " version numbers, and its tags with their history; a tag that points to another version here"
                    + " stops the import.")
    static final class ImportBundle extends OnRegistry {

        @Override
        boolean createsRegistry() {
            return true;
        }

        @Parameters(index = "0", paramLabel = "DIR", description = "the bundle folder")
        Path dir;

        @Option(names = "--no-tags", description = "import the versions only, not the bundle's tags")
        boolean noTags;

        @Override
        int run(PrintWriter out, Registry r) {
            Registry.BundleImport done = r.importBundle(dir, !noTags);
            for (Registry.Imported i : done.versions()) {
                out.println(i.version().ref() + (i.added() ? " imported" : " already here, unchanged"));
            }
            for (Registry.ImportedTag t : done.tags()) {
                out.println(t.tag() + (t.added() ? " imported" : " already here, unchanged"));
            }
            return 0;
        }
    }
}
