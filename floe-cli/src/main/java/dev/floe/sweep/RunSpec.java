package dev.floe.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One run of a sweep, as an executor needs it: an ordinary {@code floe train} of a config file into a
 * run folder, with relative paths resolved against the base config's folder and frozen-prefix
 * features shared through one cache folder.
 *
 * @param id {@code <variant>-s<seed>}, unique in the sweep; names the run folder and log files
 * @param variant the variant's name
 * @param axes axis to the name of the value this run takes
 * @param seed the run's seed
 * @param config the variant's config file for this seed
 * @param baseDir the folder the config's relative paths start from (the base config's)
 * @param runDir the run folder ({@code floe train --out}, or {@code --resume} when resuming)
 * @param featureCache the shared feature cache folder
 * @param resume whether to continue from the run folder's newest checkpoint
 * @param extraArguments further {@code floe train} arguments (e.g. {@code --registry DIR})
 */
public record RunSpec(String id, String variant, Map<String, String> axes, long seed, Path config, Path baseDir,
        Path runDir, Path featureCache, boolean resume, List<String> extraArguments) {

    /**
     * Copies the axes and extra arguments.
     *
     * @param id {@code <variant>-s<seed>}, unique in the sweep; names the run folder and log files
     * @param variant the variant's name
     * @param axes axis to the name of the value this run takes
     * @param seed the run's seed
     * @param config the variant's config file for this seed
     * @param baseDir the folder the config's relative paths start from (the base config's)
     * @param runDir the run folder ({@code floe train --out}, or {@code --resume} when resuming)
     * @param featureCache the shared feature cache folder
     * @param resume whether to continue from the run folder's newest checkpoint
     * @param extraArguments further {@code floe train} arguments (e.g. {@code --registry DIR})
     */
    public RunSpec {
        axes = Collections.unmodifiableMap(new LinkedHashMap<>(axes));
        extraArguments = List.copyOf(extraArguments);
    }

    /**
     * The arguments of the {@code floe} command that makes this run ({@code train CONFIG ...}).
     *
     * @return the arguments, unmodifiable
     */
    public List<String> trainArguments() {
        List<String> args = new ArrayList<>(List.of("train", config.toString(), "--base-dir", baseDir.toString()));
        args.addAll(resume ? List.of("--resume", runDir.toString()) : List.of("--out", runDir.toString()));
        args.addAll(List.of("--feature-cache", featureCache.toString(), "--no-progress"));
        args.addAll(extraArguments);
        return args;
    }
}
