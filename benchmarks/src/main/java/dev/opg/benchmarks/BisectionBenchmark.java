package dev.opg.benchmarks;

import dev.opg.core.transcript.CommitmentMode;
import dev.opg.core.transcript.Transcript;
import dev.opg.verify.BisectionResult;
import dev.opg.verify.Bisector;
import dev.opg.verify.TranscriptComparator;
import dev.opg.verify.TranscriptParty;
import dev.opg.verify.VerificationReport;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A dispute between two 1,000-step FULL transcripts that part at step 617: the bisection protocol
 * between two honest parties (each answering from the transcript it holds, every answer checked
 * against its commitments), against the reference of comparing the two transcripts leaf by leaf
 * when both are at hand. The setup records the number of questions the protocol asks.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BisectionBenchmark {
    static final int STEPS = 1000;
    static final int DIVERGE_AT = 617;

    private Transcript first;
    private Transcript second;
    private final Bisector bisector = new Bisector();

    @Setup
    public void setUp() {
        first = SyntheticTranscripts.chain(CommitmentMode.FULL, STEPS, STEPS);
        second = SyntheticTranscripts.chain(CommitmentMode.FULL, STEPS, DIVERGE_AT);
        BisectionResult r = bisect();
        if (!(r instanceof BisectionResult.FirstDifference d) || d.stepIndex() != DIVERGE_AT) {
            throw new IllegalStateException("bisection found " + r + "; expected the first difference at step " + DIVERGE_AT);
        }
        Facts.put("bisection.queries", d.queries());
    }

    @Benchmark
    public BisectionResult bisect() {
        return bisector.bisect(TranscriptParty.honest(first), TranscriptParty.honest(second));
    }

    @Benchmark
    public VerificationReport linearCompare() {
        return TranscriptComparator.compare(second, first);
    }
}
