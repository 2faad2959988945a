/**
 * ONNX models on DJL's OnnxRuntime engine, recorded one step per graph node
 * ({@link dev.opg.core.onnx.OnnxRunner}), with their determinism profile
 * ({@link dev.opg.core.onnx.OnnxProfiles}). Needs {@code ai.djl.onnxruntime:onnxruntime-engine} on
 * the class path (an optional dependency of opg-core). Rules: {@code docs/transcript-spec.md}
 * sections 3.5 and 3.7.
 */
package dev.opg.core.onnx;
