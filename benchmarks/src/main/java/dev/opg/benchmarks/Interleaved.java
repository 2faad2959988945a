package dev.opg.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

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

    /** Each measured pair's subject time over its baseline time, warm-up iterations left out. */
    private final List<Double> ratios = new ArrayList<>();
    private boolean measuring;

    @Setup(Level.Iteration)
    public void reset(IterationParams iteration) {
        subjectNanos = 0;
        baselineNanos = 0;
        pairs = 0;
        measuring = iteration.getType() == IterationType.MEASUREMENT;
    }

    /**
     * Writes the median and quartiles of the measured pairs' ratios as the fact
     * {@code paired.<Class.method>[:param=value...]} ({@link #factKey}): "median q1 q3 pairs".
     * Their ratio of sums (the counters) lets one burst of another process on one half of one pair
     * move the ratio; the median of the pairs' own ratios does not.
     */
    @TearDown(Level.Trial)
    public void writeRatios(BenchmarkParams params) {
        if (ratios.isEmpty()) {
            return;
        }
        double[] r = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Facts.put(factKey(params), String.format(java.util.Locale.ROOT, "%.4f %.4f %.4f %d", quantile(r, 0.5), quantile(r, 0.25),
                quantile(r, 0.75), r.length));
    }

    /** The fact's name: {@code paired.} and the benchmark's class and method, then {@code :name=value} per parameter, by name. */
    static String factKey(BenchmarkParams params) {
        java.util.Map<String, String> values = new java.util.HashMap<>();
        for (String n : params.getParamsKeys()) {
            values.put(n, params.getParam(n));
        }
        return factKey(params.getBenchmark(), values);
    }

    /** {@link #factKey(BenchmarkParams)} of the benchmark method {@code benchmark} (its full name) with {@code params}. */
    static String factKey(String benchmark, java.util.Map<String, String> params) {
        StringBuilder key = new StringBuilder("paired.").append(benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1));
        List<String> names = new ArrayList<>(params.keySet());
        names.sort(null);
        for (String n : names) {
            key.append(':').append(n).append('=').append(params.get(n));
        }
        return key.toString();
    }

    /** The q-quantile of sorted {@code r}, interpolated between neighbours. */
    static double quantile(double[] r, double q) {
        double at = q * (r.length - 1);
        int lo = (int) Math.floor(at);
        int hi = Math.min(r.length - 1, lo + 1);
        return r[lo] + (at - lo) * (r[hi] - r[lo]);
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

    /**
     * Runs pairs, untimed, until the JIT is quiet: until a pair during which the JIT compilers
     * worked for less than {@code quietShare} of the pair's wall time (the JVM's
     * {@code CompilationMXBean}, summed over its compiler threads), or for {@code maxSeconds} at
     * most. run.sh's warm-up (two 1 s iterations) is two calls here: a Spark job's pair is most of a
     * second, and Spark generates and loads classes for each job's plan, so the compilers were still
     * busy through the measured iterations (as many profiler samples on them as on the baseline's
     * task thread), on the second core a {@code local[2]} job needs. Returns the pairs run.
     */
    static int warmUntilCompiled(Supplier<?> baseline, Supplier<?> subject, double quietShare, double maxSeconds) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            baseline.get();
            subject.get();
            return 1;
        }
        long start = System.nanoTime();
        int n = 0;
        double share;
        do {
            long c0 = jit.getTotalCompilationTime();
            long t0 = System.nanoTime();
            baseline.get();
            subject.get();
            n++;
            double wallMs = (System.nanoTime() - t0) / 1e6;
            share = (jit.getTotalCompilationTime() - c0) / wallMs;
        } while (share >= quietShare && (System.nanoTime() - start) / 1e9 < maxSeconds);
        System.err.printf(java.util.Locale.ROOT, "warm-up: %d pairs in %.1f s; the JIT compiled for %.1f%% of the last one%n", n,
                (System.nanoTime() - start) / 1e9, 100 * share);
        return n;
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
        long lastSubject;
        long lastBaseline;
        if ((pairs & 1) == 0) {
            long t0 = System.nanoTime();
            baseline.get();
            long t1 = System.nanoTime();
            out = subject.get();
            long t2 = System.nanoTime();
            lastBaseline = t1 - t0;
            lastSubject = t2 - t1;
            baselineNanos += lastBaseline;
            subjectNanos += lastSubject;
        } else {
            long t0 = System.nanoTime();
            out = subject.get();
            long t1 = System.nanoTime();
            baseline.get();
            long t2 = System.nanoTime();
            lastSubject = t1 - t0;
            lastBaseline = t2 - t1;
            subjectNanos += lastSubject;
            baselineNanos += lastBaseline;
        }
        if (measuring && lastBaseline > 0) {
            ratios.add((double) lastSubject / lastBaseline);
        }
        pairs++;
        return out;
    }
}
