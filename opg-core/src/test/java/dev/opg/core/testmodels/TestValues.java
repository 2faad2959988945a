package dev.opg.core.testmodels;

import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.witness.WitnessTensor;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Small value helpers the forgery tests of several modules share. */
public final class TestValues {
    private TestValues() {}

    /** A copy of {@code p} with one record component replaced (any value, even one no real run records). */
    public static DeterminismProfile with(DeterminismProfile p, String field, Object value) {
        RecordComponent[] cs = DeterminismProfile.class.getRecordComponents();
        Object[] args = new Object[cs.length];
        Class<?>[] types = new Class<?>[cs.length];
        try {
            for (int i = 0; i < cs.length; i++) {
                types[i] = cs[i].getType();
                args[i] = cs[i].getName().equals(field) ? value : cs[i].getAccessor().invoke(p);
            }
            return DeterminismProfile.class.getDeclaredConstructor(types).newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** The elements of a float32 tensor. */
    public static float[] floats(WitnessTensor t) {
        ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[t.data().length / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getFloat();
        }
        return out;
    }

    /** {@code t} (float32) with element {@code i} set to {@code v}. */
    public static WitnessTensor withFloat(WitnessTensor t, int i, float v) {
        byte[] b = t.data();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(i * 4, v);
        return new WitnessTensor(t.dtype(), t.shape(), b);
    }
}
