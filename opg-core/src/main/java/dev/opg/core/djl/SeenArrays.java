package dev.opg.core.djl;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A value per engine array of one forward pass, by identity (an array seen twice, a step's output
 * read as the next step's input, is hashed once): a scan of a short table, newest first (a step
 * reads what the last one wrote), and an identity map once there are more than {@link #SCAN}
 * arrays, so that a pass of hundreds of node steps does not scan the whole table for each new
 * one. A pass at block granularity holds a few dozen arrays, where the scan costs less than a
 * map's hashing. Recording ({@code Recording}) and generation ({@code Generator}) keep their
 * digests here. Not thread-safe.
 */
public final class SeenArrays<V> {
    /** Arrays looked up by a scan up to this many; an identity map beyond. */
    static final int SCAN = 32;

    private NDArray[] arrays = new NDArray[8];
    private Object[] values = new Object[8];
    private int count;
    private Map<NDArray, V> map;

    /** The value kept for {@code a}, or null. */
    @SuppressWarnings("unchecked")
    public V get(NDArray a) {
        if (map != null) {
            return map.get(a);
        }
        for (int i = count - 1; i >= 0; i--) {
            if (arrays[i] == a) {
                return (V) values[i];
            }
        }
        return null;
    }

    /** The value kept for {@code a}, else {@code compute}'s value for it, kept. */
    public V computeIfAbsent(NDArray a, java.util.function.Function<? super NDArray, ? extends V> compute) {
        V v = get(a);
        if (v == null) {
            v = compute.apply(a);
            put(a, v);
        }
        return v;
    }

    /** Keeps {@code v} for {@code a}, which has no value yet. */
    @SuppressWarnings("unchecked")
    public void put(NDArray a, V v) {
        if (map != null) {
            map.put(a, v);
            return;
        }
        if (count == SCAN) {
            map = new IdentityHashMap<>(4 * SCAN);
            for (int i = 0; i < count; i++) {
                map.put(arrays[i], (V) values[i]);
            }
            map.put(a, v);
            arrays = null;
            values = null;
            return;
        }
        if (count == arrays.length) {
            arrays = Arrays.copyOf(arrays, 2 * count);
            values = Arrays.copyOf(values, 2 * count);
        }
        arrays[count] = a;
        values[count++] = v;
    }
}
