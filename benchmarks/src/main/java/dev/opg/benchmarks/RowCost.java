package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.*;
import ai.djl.training.ParameterStore;
import dev.opg.core.djl.*;
import dev.opg.core.engine.EngineSupport;
import dev.opg.core.model.*;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.witness.WitnessTensor;
import java.lang.management.*;
import java.nio.file.*;
import java.util.*;

/**
 * What recording costs one row of the MNIST MLP (784-128-64-10, seeded weights, PyTorch at 1/1
 * threads), outside Spark: the calling thread's CPU time per row of a plain forward pass and of a
 * recorded one ({@code VerifiableModel.predictInInputScope} and the transcript root, as opg-spark's
 * partition prover runs a row), each in its own memory scope, alternating rounds of {@code rows}
 * rows; prints the medians and the median of the per-round differences (recording's cost, robust to
 * another process's bursts). Not a JMH benchmark: a probe for the per-row cost that
 * {@code SparkBenchmark} cannot resolve on a loaded machine.
 * {@code java -cp benchmarks/target/benchmarks.jar dev.opg.benchmarks.RowCost [rounds [rows [both|plain|proved]]]}
 */
public final class RowCost {
    private RowCost() {}

    public static void main(String[] a) throws Exception {
        int rounds = Integer.parseInt(a.length > 0 ? a[0] : "9");
        int n = Integer.parseInt(a.length > 1 ? a[1] : "2000");
        String only = a.length > 2 ? a[2] : "both";
        DeterminismProfile p = EngineSupport.of("PyTorch").apply(1, 1, 0);
        Path dir = Files.createTempDirectory("rowcost-");
        BlockSpec.of("mnist-mlp", new long[] {1, 784}, BlockSpec.layer("linear", "units", 128), BlockSpec.layer("relu"),
                BlockSpec.layer("linear", "units", 64), BlockSpec.layer("relu"), BlockSpec.layer("linear", "units", 10))
                .saveWithSeededWeights(dir.resolve("m"), 7);
        LoadedModel lm = LoadedModel.open(dir.resolve("m"), p, RecordingOptions.full());
        Model model = lm.model();
        VerifiableModel vm = lm.verifiable();
        Random r = new Random(1);
        WitnessTensor[] xs = new WitnessTensor[64];
        for (int i = 0; i < xs.length; i++) {
            float[] f = new float[784];
            for (int j = 0; j < f.length; j++) {
                f[j] = r.nextInt(256) / 255f;
            }
            xs[i] = WitnessTensor.ofFloat32(f, 1, 784);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sink = 0;
        double[] plain = new double[rounds], proved = new double[rounds];
        for (int round = -2; round < rounds; round++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < n && !only.equals("proved"); i++) {
                try (NDManager m = model.getNDManager().newSubManager()) {
                    NDList x = new NDList(xs[i & 63].toNDArray(m));
                    NDList y = model.getBlock().forward(new ParameterStore(m, false), x, false);
                    sink += y.head().toByteBuffer(true).get(0);
                }
            }
            long t1 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < n && !only.equals("plain"); i++) {
                try (NDManager m = model.getNDManager().newSubManager()) {
                    NDList x = new NDList(xs[i & 63].toNDArray(m));
                    Prediction<NDList> pr = vm.predictInInputScope(x);
                    sink += pr.transcript().root().byteAt(0) + pr.output().head().toByteBuffer(true).get(0);
                }
            }
            long t2 = mx.getCurrentThreadCpuTime();
            if (round >= 0) {
                plain[round] = (t1 - t0) / 1e3 / n;
                proved[round] = (t2 - t1) / 1e3 / n;
            }
        }
        double[] diff = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            diff[i] = proved[i] - plain[i];
        }
        System.out.printf("rows/round %d, rounds %d: plain %.1f us, proved %.1f us, recording (proved - plain, median of per-round diffs) %.1f us  [sink %d]%n",
                n, rounds, med(plain), med(proved), med(diff), sink);
        System.out.printf("min: plain %.1f us, proved %.1f us, proved - plain %.1f us%n", min(plain), min(proved), min(proved) - min(plain));
        System.out.println("plain  " + Arrays.toString(round1(plain)));
        System.out.println("proved " + Arrays.toString(round1(proved)));
        lm.close();
        dev.opg.core.io.FileTrees.delete(dir);
    }
    static double min(double[] d) {
        double m = d[0];
        for (double x : d) {
            m = Math.min(m, x);
        }
        return m;
    }

    static double med(double[] d) {
        double[] c = d.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    static double[] round1(double[] d) {
        double[] c = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            c[i] = Math.round(d[i] * 10) / 10.0;
        }
        return c;
    }
}
