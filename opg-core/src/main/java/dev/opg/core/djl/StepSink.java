package dev.opg.core.djl;

import ai.djl.ndarray.NDList;

/**
 * Receives each step of an execution as it happens. The arrays stay alive until the prediction
 * that produced them ends, so an implementation may read them later on another thread, but must
 * neither close nor modify them.
 */
@FunctionalInterface
public interface StepSink {
    /** Step {@code name} consumed {@code inputs} and produced {@code outputs}. */
    void step(String name, NDList inputs, NDList outputs);

    /**
     * Told once, before the first step, by a runner whose steps are blocks: the cuts of the
     * partition its steps follow (what a header at block granularity records). Others never call it.
     */
    default void partition(java.util.List<String> cuts) {}
}
