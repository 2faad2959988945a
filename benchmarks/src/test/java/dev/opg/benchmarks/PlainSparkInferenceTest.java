package dev.opg.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.opg.core.witness.WitnessTensor;
import dev.opg.spark.ProvenJob;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SparkBenchmark's baseline must do the work the prover does, minus the proof: the same model with
 * the same engine settings on the same rows gives the same outputs, bit for bit. A baseline that
 * ran another session configuration (ONNX Runtime's default graph optimization), another model or
 * skipped rows would fail here.
 */
class PlainSparkInferenceTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkBenchmark.session("local[2]", 2);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void plainOutputsEqualProvenOutputsBitForBitOnTheMnistMlp(@TempDir Path dir) throws Exception {
        assertSameOutputs(SparkBenchmark.inputs(spark, "mlp", dir, 30, 2), dir, 30);
    }

    @Test
    void plainOutputsEqualProvenOutputsBitForBitOnMiniLm(@TempDir Path dir) throws Exception {
        assertSameOutputs(SparkBenchmark.inputs(spark, "minilm", dir, 3, 2), dir, 3);
    }

    private static void assertSameOutputs(SparkBenchmark.Inputs in, Path dir, int rows) {
        ProvenJob job = in.prover().outputDir(dir.resolve("job")).build().prove(in.data());
        assertEquals(rows, job.rowsProven());
        Map<Long, byte[][]> proven = new HashMap<>();
        for (Row r : job.rows().select("id", "outputs").collectAsList()) {
            proven.put(r.getLong(0), r.<byte[]>getList(1).toArray(new byte[0][]));
        }
        List<Row> plain = PlainSparkInference.outputs(in.data(), job.settings());
        assertEquals(rows, plain.size());
        for (Row r : plain) {
            byte[][] p = proven.get(r.getLong(0));
            assertNotNull(p, "the plain job ran a row the prover did not: key " + r.getLong(0));
            @SuppressWarnings("unchecked")
            List<byte[]> outs = (List<byte[]>) r.get(1); // built on the executors as a java.util.List (RowFactory)
            assertEquals(p.length, outs.size(), "outputs of key " + r.getLong(0));
            for (int i = 0; i < p.length; i++) {
                assertArrayEquals(WitnessTensor.decode(p[i]).data(), outs.get(i), "output " + i + " of key " + r.getLong(0));
            }
        }
    }
}
