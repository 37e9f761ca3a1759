/**
 * Reports of finished runs — a sweep's or any run folders' — as {@code sweep.json} and one
 * self-contained {@code report.html}. The entry point is {@link dev.floe.report.Report}.
 *
 * <h2>sweep.json ({@code format: "floe-report/1"})</h2>
 * A number a run did not record is absent (in {@code values}, {@code stats}); a statistic without
 * data is {@code null}. Fractions (accuracy) are in [0, 1], times in seconds, memory in MiB, sizes in bytes.
 * <ul>
 *   <li>{@code title}, {@code generated_at} (ISO-8601)</li>
 *   <li>{@code axes}: {@code [{name, values: [...]}]}, values in order of first appearance; the
 *     first value is the one the others are compared with</li>
 *   <li>{@code metrics}: {@code [{key, label, unit}]}, the numbers shown, in column order. Keys:
 *     {@code final_accuracy}, {@code final_loss}, {@code final_f1_macro} (the final evaluation), {@code train_seconds},
 *     {@code peak_rss_mb}, {@code optimizer_state_bytes} (from the manifest's outcome), then every key
 *     of the outcome's {@code metrics} ({@code trainable_params}, {@code total_params},
 *     {@code examples_per_second}, {@code param_bytes}, {@code grad_bytes}, {@code activation_bytes},
 *     {@code latency_b1_p50_ms}, {@code latency_b1_p95_ms}, {@code latency_b32_p50_ms},
 *     {@code latency_b32_p95_ms}, {@code cache_seconds_saved}, task metrics such as
 *     {@code final_f1_macro}); a metrics entry with the name of an outcome field replaces it</li>
 *   <li>{@code variants}: {@code [{name, axes, status ("finished" | "failed": no run finished), runs,
 *     finished_runs, failed_runs, seeds (of finished runs), stats: {key: {mean, std, n}},
 *     pareto_accuracy_vs_train_seconds, pareto_accuracy_vs_peak_rss_mb, curves: [{stage,
 *     eval_accuracy_per_epoch: [{mean, std, n}], train_loss_per_epoch: [...]}]}]}; {@code std} is the
 *     sample standard deviation over finished seeds, null for one seed</li>
 *   <li>{@code runs}: {@code [{variant, axes, seed, dir, status, error, values: {key: number},
 *     stages: [{name, eval_accuracy_per_epoch, train_loss_per_epoch}]}]}</li>
 *   <li>{@code comparison_rule} (the rule below, in words) and {@code comparisons}: {@code [{axis,
 *     value, baseline, pairs, accuracy_points, speedup, peak_memory_change_percent, summary}]}, each
 *     statistic {@code {mean, std, n}} or null. A value is compared with its axis's first value
 *     (the baseline): each finished run is paired with the finished baseline run whose other axes and
 *     seed are equal; {@code accuracy_points} is 100 × (accuracy − baseline accuracy),
 *     {@code speedup} baseline train seconds ÷ train seconds, {@code peak_memory_change_percent}
 *     100 × (peak ÷ baseline peak − 1). Runs without axes are compared along the axis
 *     {@code variant}, each variant against the first.</li>
 *   <li>{@code notes}: where numbers came from when that needs saying (demo folders)</li>
 * </ul>
 */
package dev.floe.report;
