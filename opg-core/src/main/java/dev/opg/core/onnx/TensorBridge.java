package dev.opg.core.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.onnxruntime.engine.OrtNDArray;
import ai.djl.onnxruntime.engine.OrtNDManager;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.opg.core.OpgException;
import dev.opg.core.djl.UnsupportedModelException;
import dev.opg.core.tensor.DType;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Moves tensors between DJL arrays and ONNX Runtime without copies where it can: an ONNX Runtime
 * array is fed as its own tensor, and a session's output tensor becomes the array the steps
 * report ({@code OrtNDManager.createInternal}, reached by a method handle), so recording hashes
 * ONNX Runtime's own memory ({@link #view}). Where DJL or ONNX Runtime is another version and the
 * handles are missing, values are copied instead; the bytes are the same either way.
 */
final class TensorBridge {
    /** {@code OrtNDManager.createInternal(OnnxTensor)}: an array over an existing tensor, no copy (null if unavailable). */
    private static final MethodHandle ADOPT = handle(OrtNDManager.class, "createInternal", MethodType.methodType(OrtNDArray.class, OnnxTensor.class));
    /** {@code OnnxTensor.getBuffer()}: a direct view of the tensor's memory, no copy (null if unavailable). */
    private static final MethodHandle VIEW = handle(OnnxTensor.class, "getBuffer", MethodType.methodType(ByteBuffer.class));

    private TensorBridge() {}

    /**
     * The tensors one session run is fed, by graph input name; closing frees the tensors made for
     * arrays that were not ONNX Runtime's own.
     */
    static final class Feeds implements AutoCloseable {
        private final OrtEnvironment env;
        private final Map<String, OnnxTensor> byName = new LinkedHashMap<>();
        private final List<OnnxTensor> made = new ArrayList<>();

        Feeds(OrtEnvironment env) {
            this.env = env;
        }

        /** Feeds {@code a} as {@code name}: its own tensor where it is an ONNX Runtime array, else a new one. */
        Feeds put(String name, NDArray a) throws OrtException {
            OnnxTensor own = a instanceof OrtNDArray o ? o.getTensor() : null;
            if (own != null) {
                byName.put(name, own);
                return this;
            }
            OnnxTensor t = toTensor(env, a);
            made.add(t);
            byName.put(name, t);
            return this;
        }

        /** Feeds each value of {@code values} under its key. */
        Feeds putAll(Map<String, NDArray> values) throws OrtException {
            for (var e : values.entrySet()) {
                put(e.getKey(), e.getValue());
            }
            return this;
        }

        Map<String, OnnxTensor> map() {
            return byName;
        }

        @Override
        public void close() {
            made.forEach(OnnxTensor::close);
        }
    }

    /**
     * Puts every value of a session result that {@code values} lacks into it as an array of
     * {@code manager}, over ONNX Runtime's own tensor where it can (no copy). The result is not
     * closed as a whole: the tensors taken over by arrays now belong to the manager; the others are closed.
     */
    static void adopt(NDManager manager, OrtSession.Result r, Map<String, NDArray> values) {
        Set<OnnxValue> taken = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            for (var e : r) {
                if (!values.containsKey(e.getKey())) {
                    NDArray a = toArray(manager, e.getKey(), e.getValue());
                    values.put(e.getKey(), a);
                    if (a instanceof OrtNDArray o && o.getTensor() == e.getValue()) {
                        taken.add(e.getValue());
                    }
                }
            }
        } finally {
            for (var e : r) {
                if (!taken.contains(e.getValue())) {
                    e.getValue().close();
                }
            }
        }
    }

    /** The values {@code names} of a session result, in order, as arrays of {@code manager}; the rest of the result is closed. */
    static NDList take(NDManager manager, OrtSession.Result r, List<String> names) {
        NDList out = new NDList(names.size());
        Set<OnnxValue> taken = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            for (String o : names) {
                OnnxValue v = r.get(o).orElseThrow(() -> new OpgException("ONNX Runtime returned no value for '" + o + "'"));
                NDArray a = toArray(manager, o, v);
                out.add(a);
                if (a instanceof OrtNDArray oa && oa.getTensor() == v) {
                    taken.add(v);
                }
            }
        } finally {
            for (var e : r) {
                if (!taken.contains(e.getValue())) {
                    e.getValue().close();
                }
            }
        }
        return out;
    }

    /**
     * A read-only view of ONNX Runtime's memory under {@code array} where it is an ONNX Runtime
     * array; {@code null} otherwise.
     */
    static ByteBuffer view(NDArray array) {
        if (VIEW == null || !(array instanceof OrtNDArray o)) {
            return null;
        }
        OnnxTensor t = o.getTensor();
        if (t == null || t.getInfo().type == OnnxJavaType.STRING) {
            return null;
        }
        try {
            ByteBuffer b = (ByteBuffer) VIEW.invokeExact(t);
            return b == null ? null : b.asReadOnlyBuffer().order(ByteOrder.nativeOrder());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            return null;
        }
    }

    private static MethodHandle handle(Class<?> owner, String name, MethodType type) {
        try {
            java.lang.reflect.Method m = owner.getDeclaredMethod(name, type.parameterArray());
            if (m.getReturnType() != type.returnType()) {
                return null;
            }
            m.setAccessible(true);
            MethodHandle h = MethodHandles.lookup().unreflect(m);
            return h.asType(MethodType.methodType(type.returnType(), owner).appendParameterTypes(type.parameterArray()));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // another ONNX Runtime or DJL version: fall back to copies
        }
    }

    private static OnnxTensor toTensor(OrtEnvironment env, NDArray a) throws OrtException {
        DType dt = DType.fromDjl(a.getDataType());
        ByteBuffer src = a.toByteBuffer();
        ByteBuffer direct = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
        direct.put(src.duplicate().order(src.order())).rewind();
        return OnnxTensor.createTensor(env, direct, a.getShape().getShape(), javaType(dt));
    }

    static NDArray toArray(NDManager manager, String name, OnnxValue v) {
        if (!(v instanceof OnnxTensor t)) {
            throw new UnsupportedModelException("value '" + name + "' is a " + v.getType() + ", not a tensor; opg records tensors only");
        }
        DType dt = dtypeOf(t.getInfo().type, name);
        if (ADOPT != null && manager instanceof OrtNDManager om) {
            try {
                return (OrtNDArray) ADOPT.invokeExact(om, t);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                // fall back to a copy
            }
        }
        long[] shape = t.getInfo().getShape();
        ByteBuffer b = t.getByteBuffer();
        ByteBuffer buf = manager.allocateDirect(b.remaining());
        buf.order(ByteOrder.nativeOrder()).put(b.order(ByteOrder.nativeOrder())).rewind();
        return manager.create(buf, new Shape(shape), dt.toDjl());
    }

    private static OnnxJavaType javaType(DType d) {
        return switch (d) {
            case FLOAT32 -> OnnxJavaType.FLOAT;
            case FLOAT64 -> OnnxJavaType.DOUBLE;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case BOOLEAN -> OnnxJavaType.BOOL;
        };
    }

    private static DType dtypeOf(OnnxJavaType t, String name) {
        return switch (t) {
            case FLOAT -> DType.FLOAT32;
            case DOUBLE -> DType.FLOAT64;
            case FLOAT16 -> DType.FLOAT16;
            case BFLOAT16 -> DType.BFLOAT16;
            case INT8 -> DType.INT8;
            case UINT8 -> DType.UINT8;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            case BOOL -> DType.BOOLEAN;
            default -> throw new UnsupportedModelException("value '" + name + "' has ONNX Runtime type " + t + ", which has no opg dtype");
        };
    }
}
