package dev.opg.spark;

import dev.opg.core.Hex;
import dev.opg.core.MalformedInputException;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Granularity;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything an executor needs to prove (or re-execute) its rows: the model, which column is the
 * key, which columns are the model's inputs (in the model's input order) and their shapes, how to
 * record, the determinism settings, and the job's directory. Serializable, shipped to every task.
 *
 * @param model the model
 * @param keyColumn the column whose values order the job's rows (spec section 3.15)
 * @param inputColumns the model's inputs, in order; each an array column (with a shape in
 *     {@code shapes}, or one dimension) or a binary column holding a tensor in its file form
 *     (the tensor header then the data, {@code WitnessTensor.encode()})
 * @param shapes the shape of each array input column
 * @param mode the commitment mode ({@code full} or {@code sketch})
 * @param sketchDimension the sketch dimension (0 in FULL mode)
 * @param witness whether each row's witness is kept
 * @param granularity the step granularity ({@code node}, {@code block} or {@code output})
 * @param intraOpThreads intra-op threads of the engine on each executor
 * @param interOpThreads inter-op threads
 * @param seed the engine seed
 * @param outputDir the job's directory, as every executor and the driver see it: a Hadoop URI
 *     ({@code hdfs://nn:8020/jobs/42}, {@code s3a://bucket/jobs/42}, {@code file:/shared/jobs/42}),
 *     or a path, which is resolved as Spark and Hadoop resolve one (against {@code fs.defaultFS}
 *     of the session's Hadoop configuration) when a job starts
 */
public record ProveSettings(ModelSource model, String keyColumn, List<String> inputColumns, Map<String, List<Long>> shapes,
        String mode, int sketchDimension, boolean witness, String granularity, int intraOpThreads, int interOpThreads, long seed,
        String outputDir) implements Serializable {
    private static final long serialVersionUID = 1L;

    public ProveSettings {
        if (model == null || keyColumn == null || inputColumns == null || inputColumns.isEmpty() || outputDir == null) {
            throw new MalformedInputException("proving needs a model, a key column, at least one input column and an output directory");
        }
        if (inputColumns.contains(keyColumn)) {
            throw new MalformedInputException("the key column '" + keyColumn + "' cannot also be a model input");
        }
        if (inputColumns.stream().distinct().count() != inputColumns.size()) {
            throw new MalformedInputException("input columns " + inputColumns + " name a column twice");
        }
        inputColumns = List.copyOf(inputColumns);
        TreeMap<String, List<Long>> s = new TreeMap<>();
        (shapes == null ? Map.<String, List<Long>>of() : shapes).forEach((k, v) -> s.put(k, List.copyOf(v)));
        for (String c : s.keySet()) {
            if (!inputColumns.contains(c)) {
                throw new MalformedInputException("a shape is given for '" + c + "', which is not an input column " + inputColumns);
            }
        }
        shapes = java.util.Collections.unmodifiableMap(s);
        options(mode, sketchDimension, witness, granularity); // validates
        if (intraOpThreads < 1 || interOpThreads < 1) {
            throw new MalformedInputException("thread counts must be >= 1; got " + intraOpThreads + " and " + interOpThreads);
        }
        hadoopPath(outputDir); // validates
    }

    private static org.apache.hadoop.fs.Path hadoopPath(String dir) {
        try {
            return new org.apache.hadoop.fs.Path(dir);
        } catch (IllegalArgumentException e) {
            throw new MalformedInputException("the job directory '" + dir + "' is not a valid Hadoop path or URI: " + e.getMessage(), e);
        }
    }

    private static RecordingOptions options(String mode, int sketchDimension, boolean witness, String granularity) {
        CommitmentMode m = switch (mode) {
            case "full" -> CommitmentMode.FULL;
            case "sketch" -> CommitmentMode.SKETCH;
            default -> throw new MalformedInputException("unknown commitment mode '" + mode + "'; expected full or sketch");
        };
        return new RecordingOptions(m, sketchDimension, witness, Granularity.fromSpecName(granularity), null);
    }

    /** The recording options. */
    public RecordingOptions recordingOptions() {
        return options(mode, sketchDimension, witness, granularity);
    }

    /** The shape of array column {@code c}, or null for one dimension. */
    long[] shapeOf(String c) {
        List<Long> s = shapes.get(c);
        return s == null ? null : s.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * The job directory as a local path, for a job directory on the local file system
     * ({@code file:} or a path without a scheme); see {@link #jobPath()} for any file system.
     *
     * @throws MalformedInputException for a job directory on another file system ({@code hdfs://}, ...)
     */
    public Path dir() {
        org.apache.hadoop.fs.Path p = jobPath();
        String scheme = p.toUri().getScheme();
        if (scheme != null && !scheme.equals("file")) {
            throw new MalformedInputException("the job directory " + outputDir + " is on " + scheme + ", not a local path; use jobPath()");
        }
        return Path.of(p.toUri().getPath());
    }

    /** Where partition files go, as a local path; see {@link #dir()}. */
    public Path partsDir() {
        return dir().resolve("parts");
    }

    /** The job directory as a Hadoop path (not yet qualified where {@code outputDir} has no scheme). */
    public org.apache.hadoop.fs.Path jobPath() {
        return hadoopPath(outputDir);
    }

    /** Where partition files go, as a Hadoop path. */
    public org.apache.hadoop.fs.Path partsPath() {
        return new org.apache.hadoop.fs.Path(jobPath(), "parts");
    }

    /** These settings with the model {@code m} (the same model as this machine sees it: {@link ModelSource#local}). */
    ProveSettings withModel(ModelSource m) {
        return new ProveSettings(m, keyColumn, inputColumns, shapes, mode, sketchDimension, witness, granularity, intraOpThreads,
                interOpThreads, seed, outputDir);
    }

    /** These settings with the job directory {@code dir}. */
    ProveSettings withOutputDir(String dir) {
        return new ProveSettings(model, keyColumn, inputColumns, shapes, mode, sketchDimension, witness, granularity, intraOpThreads,
                interOpThreads, seed, dir);
    }

    /**
     * SHA-256 (hex) over every setting that decides what a row's transcript is, except the model's
     * files (see {@link ModelSource#filesDigest()}): a partition file is reused only under equal
     * settings.
     */
    public String digest() {
        String canonical = "opg-spark-settings/1\nkey=" + keyColumn + "\ninputs=" + String.join("\u0000", inputColumns) + "\nshapes="
                + shapes + "\nmode=" + mode + "\nsketch=" + sketchDimension + "\nwitness=" + witness + "\ngranularity=" + granularity
                + "\nthreads=" + intraOpThreads + "," + interOpThreads + "\nseed=" + seed + "\nengine=" + model.engine();
        return Hex.encode(PartitionFile.sha256().digest(canonical.getBytes(StandardCharsets.UTF_8)));
    }
}
