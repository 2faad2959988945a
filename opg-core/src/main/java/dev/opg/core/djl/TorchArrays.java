package dev.opg.core.djl;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtDeviceType;
import ai.djl.pytorch.engine.PtNDArray;
import dev.opg.core.Digest;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The digest of a small dense PyTorch array on the CPU, read through the JNI entry points DJL's
 * own {@code PtNDArray} uses ({@code PyTorchLibrary}, reached by method handles) without the
 * objects DJL builds around each answer: a {@code Shape} (a list of boxed dimensions and layout
 * types, several hundred nanoseconds), a {@code Device}, a second layout query. A small model
 * records a handful of fresh arrays per prediction, each asked for its shape, dtype and memory
 * once, so these objects were a large part of what recording cost.
 *
 * <p>The bytes hashed are those {@code TensorDigest.of(NDArray)} hashes: DJL's own direct view of
 * a contiguous CPU tensor ({@code torchDirectByteBuffer}, what {@code toByteBuffer(true)} returns
 * for such a tensor), with the dtype DJL maps the engine's code to. Anything else (a sparse or
 * MKL-DNN layout, another device, a non-contiguous or empty tensor, a dtype opg has no code for,
 * a DJL version without these entry points) answers {@code null} and takes DJL's public path,
 * which converts or rejects it exactly as before.
 */
final class TorchArrays {
    private static final Object LIB;
    private static final MethodHandle LAYOUT;
    private static final MethodHandle DEVICE;
    private static final MethodHandle DTYPE;
    private static final MethodHandle SIZES;
    private static final MethodHandle CONTIGUOUS;
    private static final MethodHandle DIRECT;
    private static final DataType[] TYPES = DataType.values(); // JniUtils.getDataType indexes this array
    /** opg's dtype for each of {@link #TYPES} ({@link DType#fromDjl}), null where the protocol has no code. */
    private static final DType[] DTYPES = new DType[TYPES.length];
    private static final int CPU = PtDeviceType.toDeviceType(Device.cpu());

    static {
        for (int i = 0; i < TYPES.length; i++) {
            try {
                DTYPES[i] = DType.fromDjl(TYPES[i]);
            } catch (dev.opg.core.MalformedInputException e) {
                DTYPES[i] = null; // DJL's path rejects it with its message
            }
        }
        Object lib = null;
        MethodHandle[] h = new MethodHandle[6];
        try {
            Class<?> c = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary", true, PtNDArray.class.getClassLoader());
            Field f = c.getDeclaredField("LIB");
            f.setAccessible(true);
            lib = f.get(null);
            String[] names = {"torchLayout", "torchDevice", "torchDType", "torchSizes", "torchIsContiguous", "torchDirectByteBuffer"};
            Class<?>[] returns = {int.class, int[].class, int.class, long[].class, boolean.class, ByteBuffer.class};
            for (int i = 0; i < names.length; i++) {
                Method m = c.getDeclaredMethod(names[i], long.class);
                if (m.getReturnType() != returns[i]) {
                    throw new NoSuchMethodException(names[i] + " returns " + m.getReturnType());
                }
                m.setAccessible(true);
                h[i] = MethodHandles.lookup().unreflect(m).asType(MethodType.methodType(returns[i], Object.class, long.class));
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            lib = null; // another DJL version: DJL's public path serves every array
        }
        LIB = lib;
        LAYOUT = h[0];
        DEVICE = h[1];
        DTYPE = h[2];
        SIZES = h[3];
        CONTIGUOUS = h[4];
        DIRECT = h[5];
    }

    private TorchArrays() {}

    /** Whether this path is open (the DJL on the class path has the entry points it reads). */
    static boolean available() {
        return LIB != null;
    }

    /**
     * The tensor digest of {@code array} where it is a dense, contiguous, non-empty CPU tensor of
     * at most {@code maxBytes} data bytes with a dtype opg encodes; {@code null} otherwise.
     */
    static Digest digest(PtNDArray array, long maxBytes) {
        if (LIB == null) {
            return null;
        }
        long h = (Long) array.getHandle(); // throws as DJL does for a closed array
        try {
            if ((int) LAYOUT.invokeExact(LIB, h) != 0) { // 0 strided (dense); 1 sparse, 2 MKL-DNN
                return null;
            }
            int[] device = (int[]) DEVICE.invokeExact(LIB, h);
            if (device.length == 0 || device[0] != CPU) {
                return null;
            }
            int code = (int) DTYPE.invokeExact(LIB, h);
            if (code < 0 || code >= TYPES.length) {
                return null;
            }
            DType dtype = DTYPES[code];
            if (dtype == null) {
                return null;
            }
            long[] shape = (long[]) SIZES.invokeExact(LIB, h);
            long bytes = dtype.byteSize();
            for (long d : shape) {
                if (d <= 0) {
                    return null; // empty (or malformed): DJL's path
                }
                bytes = Math.multiplyExact(bytes, d);
                if (bytes > maxBytes) {
                    return null;
                }
            }
            if (!(boolean) CONTIGUOUS.invokeExact(LIB, h)) {
                return null;
            }
            ByteBuffer data = (ByteBuffer) DIRECT.invokeExact(LIB, h);
            if (data == null || data.remaining() != bytes) {
                return null;
            }
            return TensorDigest.of(dtype, shape, data.order(ByteOrder.nativeOrder()));
        } catch (ArithmeticException e) {
            return null;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("reading a PyTorch array failed: " + e, e);
        }
    }
}
