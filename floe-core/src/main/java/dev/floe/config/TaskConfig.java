package dev.floe.config;

/**
 * One entry of {@code tasks}: a classification task of a multi-task run, with its own data, the
 * graph output holding its logits and its weight in the summed loss. The tasks share every
 * component their outputs depend on (typically one encoder with one head per task).
 *
 * <pre>{@code
 * tasks:
 *   - {name: topic, output: topic_logits, weight: 1.0, data: {format: csv, train: {path: topic.csv}, num_classes: 4}}
 *   - {name: tone, output: tone_logits, weight: 0.5, data: {format: csv, train: {path: tone.csv}, num_classes: 2}}
 * }</pre>
 *
 * @param name shown in metrics; unique; required
 * @param output a graph output ({@code model.outputs}) holding this task's logits; required
 * @param weight factor of this task's mean cross-entropy in the total loss, finite and &gt; 0; default 1
 * @param data the task's data, as the top-level {@code data} section; required
 */
public record TaskConfig(String name, String output, Double weight, ExperimentConfig.Data data) {

    /**
     * Fills in the defaults of absent keys and checks the values; a bad value throws an exception
     * naming its YAML key, what was expected and what was found.
     *
     * @param name shown in metrics; unique; required
     * @param output a graph output ({@code model.outputs}) holding this task's logits; required
     * @param weight factor of this task's mean cross-entropy in the total loss, finite and &gt; 0;
     *     default 1
     * @param data the task's data, as the top-level {@code data} section; required
     */
    public TaskConfig {
        Fields.required().key("name", name).key("output", output).key("data", data)
                .check("- {name: topic, output: topic_logits, weight: 1.0, data: {format: csv, train: {path: a.csv},"
                        + " num_classes: 4}}");
        Fields.notBlank("name", name);
        weight = weight == null ? 1.0 : weight;
        Fields.positive("weight", weight, "it scales this task's loss; 1 weighs it like the first task");
    }
}
