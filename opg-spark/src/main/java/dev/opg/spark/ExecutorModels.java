package dev.opg.spark;

import dev.opg.core.model.LoadedModel;
import dev.opg.core.profile.DeterminismProfile;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loaded models kept in an executor between its tasks, so that a job of many partitions loads
 * (and commits) its model once per executor thread, not once per partition.
 *
 * <p>A model is lent to one task at a time and handed back when the task ends. The key is the
 * job's settings digest (model path, engine settings, recording options) and the digest of the
 * model's files as this task computed them: a file changed between two tasks is a new key, so a
 * task never proves with a model other than the files it hashed. At most {@value #MAX_IDLE}
 * idle models are kept (the least recently returned are closed first).
 */
final class ExecutorModels {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
    /** Idle models kept per executor JVM. */
    static final int MAX_IDLE = 4;

    /** One loaded model with the profile it was loaded under. */
    record Entry(String key, LoadedModel loaded, DeterminismProfile profile) implements AutoCloseable {
        @Override
        public void close() {
            loaded.close();
        }
    }

    private static final Map<String, Deque<Entry>> IDLE = new LinkedHashMap<>();
    private static int idle;

    private ExecutorModels() {}

    /** An idle model loaded under {@code key}, now lent to the caller, or null. */
    static synchronized Entry borrow(String key) {
        Deque<Entry> d = IDLE.get(key);
        Entry e = d == null ? null : d.pollLast();
        if (e != null) {
            idle--;
            if (d.isEmpty()) {
                IDLE.remove(key);
            }
        }
        return e;
    }

    /** Hands a lent model back for the next task; closes the oldest idle ones above {@link #MAX_IDLE}. */
    static void giveBack(Entry e) {
        List<Entry> evicted = new ArrayList<>();
        synchronized (ExecutorModels.class) {
            IDLE.computeIfAbsent(e.key(), k -> new ArrayDeque<>()).addLast(e);
            idle++;
            while (idle > MAX_IDLE) {
                var first = IDLE.entrySet().iterator().next();
                evicted.add(first.getValue().pollFirst());
                idle--;
                if (first.getValue().isEmpty()) {
                    IDLE.remove(first.getKey());
                }
            }
        }
        for (Entry x : evicted) {
            LOG.debug("closing an idle model ({} idle is the most kept)", MAX_IDLE);
            x.close();
        }
    }

    /** Closes every idle model (tests; a JVM that ends closes them with it). */
    static void clear() {
        List<Entry> all = new ArrayList<>();
        synchronized (ExecutorModels.class) {
            IDLE.values().forEach(all::addAll);
            IDLE.clear();
            idle = 0;
        }
        all.forEach(Entry::close);
    }

    /** How many models are idle now (tests). */
    static synchronized int idleCount() {
        return idle;
    }
}
