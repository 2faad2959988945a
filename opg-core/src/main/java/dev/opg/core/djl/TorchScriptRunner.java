package dev.opg.core.djl;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.model.ModelCommitment;
import dev.opg.core.model.ParameterEntry;
import dev.opg.core.tensor.DType;
import dev.opg.core.tensor.TensorDigest;
import dev.opg.core.transcript.LeafWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Runs a TorchScript module ({@code PtSymbolBlock}) as ONE step named {@code forward}: libtorch
 * runs the scripted graph natively and DJL offers no hook between its operators, so a TorchScript
 * transcript has the model inputs, one step, and the outputs.
 *
 * <p>Commitment ({@code torchscript} kind): the architecture description is every archive entry
 * under {@code code/} (except {@code .debug_pkl} files, which hold source paths), plus
 * {@code constants.pkl} and {@code data.pkl}, as {@code (string path-without-top-folder, u64 length, bytes)}
 * sorted by path; the parameters are DJL's named parameters, plus every storage blob under
 * {@code data/} as a uint8 tensor named {@code storage/<path>}, so buffers that are not
 * parameters (running statistics) are committed too.
 */
public final class TorchScriptRunner implements ModelRunner {
    /** The name of the single step. */
    public static final String STEP_NAME = "forward";
    private final Block block;
    private final ModelCommitment commitment;

    public TorchScriptRunner(Block block, Path archive) {
        this.block = block;
        this.commitment = commit(block, archive);
    }

    /**
     * The commitment of a TorchScript archive loaded as {@code block}.
     *
     * @throws MalformedInputException naming {@code archive} if it is not a zip file holding TorchScript code
     */
    public static ModelCommitment commit(Block block, Path archive) {
        List<ParameterEntry> params = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            params.add(ModelCommitment.entry(p.getKey(), p.getValue().getArray()));
        }
        TreeMap<String, byte[]> arch = new TreeMap<>();
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            Enumeration<? extends ZipEntry> es = zip.entries();
            while (es.hasMoreElements()) {
                ZipEntry e = es.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                String name = e.getName();
                int slash = name.indexOf('/');
                String rel = slash < 0 ? name : name.substring(slash + 1);
                if (rel.startsWith("data/")) {
                    byte[] b = zip.getInputStream(e).readAllBytes();
                    params.add(new ParameterEntry("storage/" + rel, DType.UINT8, new long[] {b.length},
                            TensorDigest.of(DType.UINT8, new long[] {b.length}, b)));
                } else if ((rel.startsWith("code/") && !rel.endsWith(".debug_pkl")) || rel.equals("constants.pkl") || rel.equals("data.pkl")) {
                    arch.put(rel, zip.getInputStream(e).readAllBytes());
                }
            }
        } catch (ZipException e) {
            throw new MalformedInputException(archive + " is not a TorchScript archive (not a readable zip file: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TorchScript archive " + archive, e);
        }
        if (arch.isEmpty()) {
            throw new MalformedInputException(archive + " holds no TorchScript code; is it a TorchScript archive?");
        }
        LeafWriter w = new LeafWriter("OPG-TORCHSCRIPT", 1).u32(arch.size());
        for (var e : arch.entrySet()) {
            w.string(e.getKey(), 4096, "archive path").u64(e.getValue().length).bytes(e.getValue());
        }
        Digest archDigest;
        try {
            archDigest = Digest.of(MessageDigest.getInstance("SHA-256").digest(w.toByteArray()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return ModelCommitment.of(ModelCommitment.KIND_TORCHSCRIPT, archDigest, params);
    }

    @Override
    public ModelCommitment commitment() {
        return commitment;
    }

    @Override
    public List<String> stepNames() {
        return List.of(STEP_NAME);
    }

    /** One step, {@code forward}, on every model input; the model returns its outputs. */
    @Override
    public dev.opg.core.transcript.Dataflow dataflow(NDList inputs) {
        return BlockRunner.sequential(commitment(), inputs, List.of(STEP_NAME));
    }

    @Override
    public NDList run(ParameterStore parameterStore, NDList inputs, StepSink sink) {
        NDList out = block.forward(parameterStore, inputs, false);
        sink.step(STEP_NAME, inputs, out);
        return out;
    }

    @Override
    public NDList runStep(ParameterStore parameterStore, String name, NDList inputs) {
        if (!STEP_NAME.equals(name)) {
            throw new MalformedInputException("a TorchScript model has one step, '" + STEP_NAME + "'; got '" + name + "'");
        }
        return block.forward(parameterStore, inputs, false);
    }
}
