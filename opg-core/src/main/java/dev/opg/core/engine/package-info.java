/**
 * Engine support as plug-ins: {@link dev.opg.core.engine.EngineSupport}, one implementation per
 * DJL engine (PyTorch, ONNX Runtime), found through {@link java.util.ServiceLoader}.
 */
package dev.opg.core.engine;
