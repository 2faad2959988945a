package dev.opg.spark;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.opg.core.MalformedInputException;
import dev.opg.core.OpgException;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.core.witness.WitnessTensor;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one task does with one input partition: proves each row with one model loaded lazily for
 * this partition (the determinism profile applied on this executor before its engine loads) and
 * closed at the end, and commits the partition's file atomically.
 *
 * <p><b>Idempotent.</b> Where the partition's file is already there, intact, and was written under
 * the same settings and model files, each row whose key and input digests equal the stored row at
 * the same position is taken from it instead of being proven again; a partition whose rows all
 * match is left untouched. A task that dies mid-partition leaves only a temporary file
 * ({@code .part-NNNNN.opgpart.*.tmp}), never a file under the final name: the file is written
 * (and on HDFS synced to the datanodes' disks) completely before one rename gives it its final
 * name, on whichever Hadoop file system holds the job directory.
 */
final class PartitionProver {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionProver.class);

    /**
     * Fault injection for crash tests: a task-local property {@value} = {@code "P:R"} fails the
     * first attempt of partition P's task right after it wrote R rows (as if its executor died
     * there: the temporary file is left behind); {@code "P:R:always"} fails every attempt.
     */
    static final String FAIL_AFTER_ROWS = "opg.spark.failAfterRows";

    /** What one partition's task did. */
    record Summary(int partition, long rows, long proven, long reused, boolean untouched, String modelId, String profile,
            String executor, String host) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private PartitionProver() {}

    static Iterator<Summary> run(ProveSettings s, JobDir jobDir, StructType schema, int partition, Iterator<Row> rows) {
        try {
            return List.of(prove(s, jobDir, schema, partition, rows)).iterator();
        } catch (IOException e) {
            throw new UncheckedIOException("partition " + partition + ": cannot write its file under " + jobDir.parts() + ": " + e.getMessage(), e);
        }
    }

    private static Summary prove(ProveSettings shipped, JobDir jobDir, StructType schema, int partition, Iterator<Row> rows)
            throws IOException {
        // a model on a Hadoop file system is proven from this machine's copy of its current version
        ProveSettings s = shipped.withModel(shipped.model().local(jobDir.configuration()));
        FileSystem fs = jobDir.fs();
        org.apache.hadoop.fs.Path target = PartitionFile.name(jobDir.parts(), partition);
        TaskContext tc = TaskContext.get();
        int attempt = tc == null ? 0 : tc.attemptNumber();
        long taskId = tc == null ? 0 : tc.taskAttemptId();
        org.apache.hadoop.fs.Path tmp = JobDir.tmp(target, attempt + "-" + taskId);
        String settings = s.digest();
        String modelFiles = s.model().filesDigest();
        String keyType = schema.apply(s.keyColumn()).dataType().typeName();
        int keyIndex = schema.fieldIndex(s.keyColumn());
        DataType keyDataType = schema.fields()[keyIndex].dataType();
        TensorColumns.Columns columns = new TensorColumns.Columns(schema, s);
        int[] fail = failAfter(tc, partition, attempt);

        PartitionFile.Trailer old = PartitionFile.validTrailer(fs, target);
        if (old == null && jobDir.isFile(target)) {
            LOG.warn("partition {}: {} is damaged; proving the partition again", partition, target);
        }
        boolean reusable = old != null && old.partition() == partition && settings.equals(old.settings())
                && modelFiles.equals(old.modelFiles()) && keyType.equals(old.keyType());
        if (old != null && !reusable) {
            LOG.info("partition {}: {} was written under other settings or model files; proving again", partition, target);
        }
        PartitionFile.Reader previous = reusable ? new PartitionFile.Reader(fs, target) : null;
        boolean changed = !reusable;
        long proven = 0;
        long reused = 0;
        Lazy model = new Lazy(s, partition, settings + "/" + modelFiles);
        try {
            Summary untouched = null;
            PartitionFile.Trailer t;
            long length;
            byte[] hash;
            try (PartitionFile.Writer w = new PartitionFile.Writer(jobDir.create(tmp))) {
                while (rows.hasNext()) {
                    Row row = rows.next();
                    byte[] key = KeyBytes.of(row.get(keyIndex), keyDataType, s.keyColumn());
                    List<WitnessTensor> inputs = columns.inputs(row);
                    PartitionFile.Row stored = previous != null ? previous.next() : null;
                    // the input digests are needed up front only to compare with a stored row; a proven row takes them from its transcript
                    List<byte[]> digests = stored == null ? null : digests(inputs);
                    if (stored != null && stored.sameInput(key, digests)) {
                        w.write(stored);
                        reused++;
                    } else {
                        if (previous != null) {
                            previous.close();
                            previous = null;
                        }
                        changed = true;
                        w.write(model.prove(key, digests, inputs));
                        proven++;
                    }
                    if (fail != null && w.rows() == fail[1]) {
                        throw new InjectedFault("injected failure: partition " + partition + " attempt " + attempt + " after "
                                + w.rows() + " rows (" + FAIL_AFTER_ROWS + ")");
                    }
                }
                if (previous != null && previous.next() != null) {
                    changed = true; // the stored file holds more rows than the partition has now
                }
                String modelId = model.loaded() ? model.vm.modelId().hex() : old != null && !changed ? old.modelId() : null;
                String profile = model.loaded() ? new String(TranscriptCodec.encodeProfile(model.profile), StandardCharsets.UTF_8)
                        : old != null && !changed ? old.profile() : null;
                String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
                t = new PartitionFile.Trailer(partition, w.rows(), settings, modelFiles, keyType, modelId, profile, executor,
                        ModelSource.host());
                w.finish(t);
                length = w.length();
                hash = w.hash();
                if (!changed) {
                    untouched = new Summary(partition, w.rows(), 0, reused, true, old.modelId(), old.profile(), old.executor(), old.host());
                }
            }
            if (untouched != null) {
                jobDir.deleteIfExists(tmp); // closed first: HDFS completes a file on close
                LOG.info("partition {}: all {} rows already committed in {}; left untouched", partition, untouched.rows(), target);
                return untouched;
            }
            if (previous != null) {
                previous.close(); // before the rename replaces the file it reads
                previous = null;
            }
            jobDir.commit(tmp, target);
            // the file under the final name is the one written: its length, and its last 32 bytes the hash of all the others
            if (!PartitionFile.isCommitted(fs, target, length, hash)) {
                throw new OpgException("partition " + partition + ": " + target + " is not the " + length + "-byte file written and renamed"
                        + " into place (its length or its hash differs)");
            }
            LOG.info("partition {}: committed {} rows ({} proven, {} reused) to {}", partition, t.rows(), proven, reused, target);
            return new Summary(partition, t.rows(), proven, reused, false, t.modelId(), t.profile(), t.executor(), t.host());
        } catch (InjectedFault e) {
            model.discard();
            throw e; // a killed executor deletes nothing: the temporary file stays, as it would
        } catch (IOException | RuntimeException e) {
            model.discard(); // a model a failed task used is not lent again
            try {
                jobDir.deleteIfExists(tmp);
            } catch (IOException | RuntimeException x) {
                e.addSuppressed(x);
            }
            throw e;
        } finally {
            if (previous != null) {
                previous.close();
            }
            model.close();
        }
    }

    private static List<byte[]> digests(List<WitnessTensor> inputs) {
        List<byte[]> out = new ArrayList<>(inputs.size());
        inputs.forEach(t -> out.add(t.digest().toByteArray()));
        return out;
    }

    private static int[] failAfter(TaskContext tc, int partition, int attempt) {
        String v = tc == null ? null : tc.getLocalProperty(FAIL_AFTER_ROWS);
        if (v == null) {
            return null;
        }
        String[] p = v.split(":");
        if (Integer.parseInt(p[0]) != partition || (attempt > 0 && !(p.length > 2 && p[2].equals("always")))) {
            return null;
        }
        return new int[] {partition, Integer.parseInt(p[1])};
    }

    /** An injected task failure (crash tests only). */
    static final class InjectedFault extends OpgException {
        private static final long serialVersionUID = 1L;

        InjectedFault(String message) {
            super(message);
        }
    }

    /** The partition's model: loaded on the first row that needs proving, closed with the task. */
    static final class Lazy implements AutoCloseable {
        private final ProveSettings s;
        private final int partition;
        private final String key;
        private ExecutorModels.Entry entry;
        private Model model;
        private VerifiableModel vm;
        private DeterminismProfile profile;

        /** {@code key}: the settings digest and the digest of the model files this task hashed. */
        Lazy(ProveSettings s, int partition, String key) {
            this.s = s;
            this.partition = partition;
            this.key = key;
        }

        boolean loaded() {
            return vm != null;
        }

        private void load() throws IOException {
            entry = ExecutorModels.borrow(key);
            if (entry != null) {
                LOG.info("partition {}: reusing {} loaded by an earlier task of this executor, model id {}", partition,
                        s.model().path(), entry.loaded().verifiable().modelId().hex());
            } else {
                long t0 = System.nanoTime();
                String engine = s.model().engine();
                // the profile is applied on this executor before its engine loads the model
                DeterminismProfile p = EngineSupport.of(engine).apply(s.intraOpThreads(), s.interOpThreads(), s.seed());
                entry = new ExecutorModels.Entry(key, LoadedModel.open(Path.of(s.model().path()), p, s.recordingOptions()), p);
                LOG.info("partition {}: loaded {} on {} in {} ms, model id {}", partition, s.model().path(), engine,
                        (System.nanoTime() - t0) / 1_000_000, entry.loaded().verifiable().modelId().hex());
            }
            model = entry.loaded().model();
            vm = entry.loaded().verifiable();
            profile = entry.profile();
            s.model().check(vm.modelId(), "partition " + partition + " on " + ModelSource.host() + ", as loaded"); // before any row is proven
        }

        /** {@code digests}: the inputs' digests where the caller has them, else null (taken from the transcript's header). */
        PartitionFile.Row prove(byte[] key, List<byte[]> digests, List<WitnessTensor> inputs) throws IOException {
            if (vm == null) {
                load();
            }
            try (NDManager m = model.getNDManager().newSubManager()) {
                NDList x = TensorColumns.toNDList(inputs, s.inputColumns(), m);
                Prediction<NDList> p;
                try {
                    p = vm.predictInInputScope(x); // m is this row's scope: no second one inside
                } catch (ai.djl.engine.EngineException | IllegalArgumentException | IndexOutOfBoundsException e) {
                    throw new MalformedInputException("partition " + partition + ": the model cannot run on the row with key bytes "
                            + dev.opg.core.Hex.encode(key) + ": " + e.getMessage(), e);
                }
                Transcript t = p.transcript();
                List<byte[]> ds = digests;
                if (ds == null) {
                    ds = new ArrayList<>(inputs.size());
                    for (dev.opg.core.Digest d : t.header().inputs()) {
                        ds.add(d.toByteArray());
                    }
                }
                List<byte[]> outs = new ArrayList<>(p.output().size());
                p.output().forEach(a -> outs.add(WitnessTensor.of(a).encode()));
                byte[] witness = p.witness().map(WitnessBytes::encode).orElse(null);
                return new PartitionFile.Row(key, t.root().toByteArray(), ds, TranscriptBytes.encode(t), outs, witness);
            }
        }

        /** Closes the model instead of handing it back (the task failed). */
        void discard() {
            if (entry != null) {
                entry.close();
                entry = null;
            }
        }

        /** Hands the model back to the executor for its next task (closed when evicted or when the JVM ends). */
        @Override
        public void close() {
            if (entry != null) {
                ExecutorModels.giveBack(entry);
                entry = null;
            }
        }
    }
}
