package dev.opg.benchmarks;

import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Transcript JSON write ({@link TranscriptCodec#encode}) and read ({@link TranscriptCodec#decode},
 * which rebuilds and so re-hashes the Merkle tree) of a 1,000-step transcript, FULL and SKETCH.
 * The setup records the encoded size and the bytes each step adds (size of 1,000 steps minus
 * size of none, over 1,000) as facts for the results table.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CodecBenchmark {
    static final int STEPS = 1000;

    @Param({"full", "sketch"})
    public String mode;

    private Transcript transcript;
    private byte[] json;

    @Setup
    public void setUp() {
        CommitmentMode m = CommitmentMode.valueOf(mode.toUpperCase(Locale.ROOT));
        transcript = SyntheticTranscripts.chain(m, STEPS, STEPS);
        json = TranscriptCodec.encode(transcript);
        if (!TranscriptCodec.decode(json).root().equals(transcript.root())) {
            throw new IllegalStateException("the codec does not round-trip the benchmark transcript");
        }
        int empty = TranscriptCodec.encode(SyntheticTranscripts.chain(m, 0, 0)).length;
        Facts.put("codec." + mode + ".bytes", json.length);
        Facts.put("codec." + mode + ".bytesPerStep", Math.round((json.length - empty) / (double) STEPS));
    }

    @Benchmark
    public byte[] write() {
        return TranscriptCodec.encode(transcript);
    }

    @Benchmark
    public Transcript read() {
        return TranscriptCodec.decode(json);
    }
}
