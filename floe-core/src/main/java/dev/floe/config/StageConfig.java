package dev.floe.config;

import java.util.List;
import java.util.Map;

/**
 * One entry of the {@code stages} list. A stage's policy is the top-level {@code policy} followed by
 * the {@code policy} rules of this stage and of every stage before it (so each stage states only
 * what changes; last match wins across all of them).
 *
 * <pre>{@code
 * stages:
 *   - name: head
 *     epochs: 2
 *     policy: [{freeze: "encoder/**"}]
 *   - name: top
 *     epochs: 2
 *     policy: [{train: "encoder/block2/**", lr_scale: 0.1}]
 *     lr_schedule: {type: warmup_cosine, warmup_steps: 5}
 *     early_stopping: {metric: eval_accuracy, patience: 2}
 * }</pre>
 *
 * @param name unique stage name; required
 * @param epochs budget, ≥ 1; required
 * @param steps optional budget in optimizer steps, ≥ 1: the stage ends when either budget is spent
 * @param policy rules added by this stage; default none
 * @param lrSchedule {@code lr_schedule}: this stage's schedule; default {@code training.lr_schedule}
 * @param earlyStopping {@code early_stopping}: default none
 */
public record StageConfig(
        String name,
        Integer epochs,
        Long steps,
        List<PolicyRule> policy,
        Map<String, Object> lrSchedule,
        EarlyStoppingConfig earlyStopping) {

    /**
     * Fills in the defaults of absent keys and checks the values; a bad value throws an exception
     * naming its YAML key, what was expected and what was found.
     *
     * @param name unique stage name; required
     * @param epochs budget, ≥ 1; required
     * @param steps optional budget in optimizer steps, ≥ 1: the stage ends when either budget is
     *     spent
     * @param policy rules added by this stage; default none
     * @param lrSchedule {@code lr_schedule}: this stage's schedule; default
     *     {@code training.lr_schedule}
     * @param earlyStopping {@code early_stopping}: default none
     */
    public StageConfig {
        Fields.required().key("name", name).key("epochs", epochs).check("{name: head, epochs: 2, policy: [...]}");
        Fields.notBlank("name", name);
        Fields.positive("epochs", epochs);
        if (steps != null) {
            Fields.positive("steps", steps);
        }
        policy = Fields.list(policy);
        for (int i = 0; i < policy.size(); i++) {
            if (policy.get(i) == null) {
                throw Fields.inside(List.of("policy", i),
                        "policy entry " + i + " is empty; write - freeze: \"glob\" or - train: \"glob\"");
            }
        }
        if (lrSchedule != null) {
            parseSchedule(lrSchedule);
        }
    }

    static dev.floe.schedule.LrSchedule parseSchedule(Map<String, Object> map) {
        try {
            return dev.floe.schedule.LrSchedule.parse(map);
        } catch (IllegalArgumentException e) {
            throw Fields.inside(List.of("lr_schedule"), e.getMessage());
        }
    }
}
