package dev.floe.config;

import java.util.Map;

/**
 * The {@code progressive} key: ULMFiT-style gradual unfreezing in one line. The first stage trains
 * what the top-level policy leaves trainable except {@code component}; each further stage unfreezes
 * one more of the component's layers from the top.
 *
 * <pre>{@code
 * progressive: {component: encoder, epochs_per_stage: 2, lr_scale: 0.1}
 * }</pre>
 *
 * @param component the component to unfreeze gradually; required
 * @param layers how many of its layers to unfreeze; default all
 * @param epochsPerStage {@code epochs_per_stage}: ≥ 1; required
 * @param lrScale {@code lr_scale} of unfrozen layers; default 1
 * @param lrSchedule {@code lr_schedule}: each stage's schedule; default {@code training.lr_schedule}
 * @param earlyStopping {@code early_stopping}: per stage; default none
 */
public record ProgressiveConfig(
        String component,
        Integer layers,
        Integer epochsPerStage,
        Double lrScale,
        Map<String, Object> lrSchedule,
        EarlyStoppingConfig earlyStopping) {

    /**
     * Fills in the defaults of absent keys and checks the values; a bad value throws an exception
     * naming its YAML key, what was expected and what was found.
     *
     * @param component the component to unfreeze gradually; required
     * @param layers how many of its layers to unfreeze; default all
     * @param epochsPerStage {@code epochs_per_stage}: ≥ 1; required
     * @param lrScale {@code lr_scale} of unfrozen layers; default 1
     * @param lrSchedule {@code lr_schedule}: each stage's schedule; default
     *     {@code training.lr_schedule}
     * @param earlyStopping {@code early_stopping}: per stage; default none
     */
    public ProgressiveConfig {
        Fields.required().key("component", component).key("epochs_per_stage", epochsPerStage)
                .check("progressive: {component: encoder, epochs_per_stage: 2, lr_scale: 0.1}");
        Fields.notBlank("component", component);
        Fields.positive("epochs_per_stage", epochsPerStage);
        if (layers != null) {
            Fields.positive("layers", layers);
        }
        lrScale = lrScale == null ? 1.0 : lrScale;
        Fields.positive("lr_scale", lrScale, "0.1 trains unfrozen layers ten times slower than the head");
        if (lrSchedule != null) {
            StageConfig.parseSchedule(lrSchedule);
        }
    }
}
