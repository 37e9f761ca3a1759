/**
 * Floe's own optimizer: AdamW and SGD over named parameter groups, with one step count per
 * parameter, state only for the parameters being trained, and state that can be exported to and
 * imported from a checkpoint.
 *
 * <p>DJL's optimizers are not used because they keep a single update count for all parameters
 * (Adam's bias correction is then wrong for a parameter unfrozen mid-training: its first step is
 * 1.35× the learning rate when it joins at step 201, heading to 3×) and they can neither drop nor
 * save their state. {@link dev.floe.optim.OptimizerSpec} says which algorithm and hyperparameters,
 * {@link dev.floe.optim.ParamGroup} which parameters at which learning-rate scale and weight decay,
 * and {@link dev.floe.optim.GroupedOptimizer} owns the state and applies the updates in place.
 */
package dev.floe.optim;
