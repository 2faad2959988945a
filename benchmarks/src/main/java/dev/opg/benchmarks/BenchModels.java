package dev.opg.benchmarks;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.opg.core.testmodels.TestModels;

/**
 * The seeded test models the benchmarks run, their inputs, and the plain DJL baseline with the
 * same memory management as {@code VerifiableModel.predict}: a sub-manager of the input's manager
 * holds every intermediate array for one call and is closed when the call ends; the output is
 * attached to the input's manager.
 */
final class BenchModels {
    private BenchModels() {}

    /** The seeded model named {@code name} ("mlp" or "cnn"), weights from seed 1. */
    static Model load(String name) {
        return switch (name) {
            case "mlp" -> TestModels.mlp(1);
            case "cnn" -> TestModels.cnn(1);
            default -> throw new IllegalArgumentException("unknown benchmark model '" + name + "'; expected mlp or cnn");
        };
    }

    /** The model's input shape with the batch dimension set to {@code batch}. */
    static Shape inputShape(String name, int batch) {
        Shape one = switch (name) {
            case "mlp" -> TestModels.MLP_INPUT;
            case "cnn" -> TestModels.CNN_INPUT;
            default -> throw new IllegalArgumentException("unknown benchmark model '" + name + "'");
        };
        long[] dims = one.getShape().clone();
        dims[0] = batch;
        return new Shape(dims);
    }

    /** The plain DJL forward pass, scoped as opg scopes its own. */
    static NDList plainPredict(Model model, NDList inputs) {
        NDManager owner = inputs.head().getManager();
        try (NDManager scope = owner.newSubManager()) {
            inputs.tempAttach(scope);
            NDList out = model.getBlock().forward(new ParameterStore(scope, false), inputs, false);
            out.attach(owner);
            return out;
        }
    }
}
