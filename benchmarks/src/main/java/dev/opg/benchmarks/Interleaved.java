package dev.opg.benchmarks;

import java.util.function.Supplier;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A subject and its baseline run alternately in one benchmark call, each timed on its own: on a
 * shared machine whose load drifts between JMH forks, the two halves of a pair meet the same load,
 * so their ratio holds where the ratio of two forks does not. JMH reports the counters as secondary
 * results ({@code subjectNanos}, {@code baselineNanos}, {@code pairs}, summed per iteration);
 * {@link ResultsTable} divides each by {@code pairs} for the time per call. Which half runs first
 * alternates from pair to pair, so neither always finds the caches the other left. A benchmark
 * call runs several pairs ({@link #pairsPerCall}, about {@link #SECONDS_PER_CALL} s in all), so
 * that even a model whose pair takes a second gets several pairs per fork; the call's own time
 * (the primary score) is of no use.
 */
@AuxCounters(AuxCounters.Type.EVENTS)
@State(Scope.Thread)
public class Interleaved {
    public long subjectNanos;
    public long baselineNanos;
    public long pairs;

    @Setup(Level.Iteration)
    public void reset() {
        subjectNanos = 0;
        baselineNanos = 0;
        pairs = 0;
    }

    /** Seconds one benchmark call of pairs should last, so that each 1 s iteration of run.sh holds several pairs. */
    static final double SECONDS_PER_CALL = 2;

    /**
     * How many pairs one call should run: {@link #SECONDS_PER_CALL} over the time of one pair,
     * timed here once (after one untimed pair), between 1 and 64.
     */
    static int pairsPerCall(Supplier<?> baseline, Supplier<?> subject) {
        baseline.get();
        subject.get();
        long t0 = System.nanoTime();
        baseline.get();
        subject.get();
        double pair = (System.nanoTime() - t0) / 1e9;
        return (int) Math.max(1, Math.min(64, Math.round(SECONDS_PER_CALL / pair)));
    }

    /** {@code n} pairs ({@link #pair}); returns the last subject result (not public: see {@link #pair}). */
    <T> T pairs(int n, Supplier<?> baseline, Supplier<T> subject) {
        T out = null;
        for (int i = 0; i < n; i++) {
            out = pair(baseline, subject);
        }
        return out;
    }

    /**
     * Runs {@code baseline} and {@code subject} once each and adds their times; returns the
     * subject's result (not public: JMH takes the public methods of an @AuxCounters state for counters).
     */
    <T> T pair(Supplier<?> baseline, Supplier<T> subject) {
        T out;
        if ((pairs & 1) == 0) {
            long t0 = System.nanoTime();
            baseline.get();
            long t1 = System.nanoTime();
            out = subject.get();
            long t2 = System.nanoTime();
            baselineNanos += t1 - t0;
            subjectNanos += t2 - t1;
        } else {
            long t0 = System.nanoTime();
            out = subject.get();
            long t1 = System.nanoTime();
            baseline.get();
            long t2 = System.nanoTime();
            subjectNanos += t1 - t0;
            baselineNanos += t2 - t1;
        }
        pairs++;
        return out;
    }
}
