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
import java.util.HashSet;
import java.util.Set;
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
 * <p>Commitment ({@code torchscript} kind, rule version 2): the archive must hold one top folder,
 * canonical entry paths and no name twice (else {@link MalformedInputException}); the
 * architecture description is every entry under {@code code/} (except {@code .debug_pkl} files,
 * which hold source positions), {@code constants.pkl}, {@code data.pkl}, {@code version},
 * {@code .data/version} and {@code byteorder}, as {@code (string path-without-top-folder, u64 length, bytes)}
 * sorted by path; {@code extra/**} and {@code .data/serialization_id} are skipped, any other entry
 * is refused. The parameters are DJL's named parameters, plus every storage blob under
 * {@code data/} and {@code constants/} as a uint8 tensor named {@code storage/<path>}, so buffers that are not
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
            String top = null;
            Set<String> seen = new HashSet<>();
            Enumeration<? extends ZipEntry> es = zip.entries();
            while (es.hasMoreElements()) {
                ZipEntry e = es.nextElement();
                String name = e.getName();
                // ZipFile.entries() walks the central directory, duplicates included; libtorch
                // (miniz) reads that same directory but may resolve a repeated name to another copy
                if (!seen.add(name)) {
                    throw refused(archive, "holds the entry '" + name + "' twice");
                }
                String canonical = canonicalEntry(archive, name);
                int slash = canonical.indexOf('/');
                String folder = canonical.substring(0, slash);
                if (top == null) {
                    top = folder;
                } else if (!top.equals(folder)) {
                    // libtorch reads the folder of the first entry; a second one would be committed but not run
                    throw refused(archive, "has more than one top folder ('" + top + "' and '" + folder + "')");
                }
                if (e.isDirectory()) {
                    continue;
                }
                String rel = canonical.substring(slash + 1);
                // data/: parameter and buffer storages; constants/: storages of tensor constants (constants.pkl)
                if (rel.startsWith("data/") || rel.startsWith("constants/")) {
                    byte[] b = zip.getInputStream(e).readAllBytes();
                    params.add(new ParameterEntry("storage/" + rel, DType.UINT8, new long[] {b.length},
                            TensorDigest.of(DType.UINT8, new long[] {b.length}, b)));
                } else if (rel.endsWith(".debug_pkl") || rel.equals(".data/serialization_id") || rel.startsWith("extra/")) {
                    // source positions, a per-save random id, user metadata: read by no forward pass
                    continue;
                } else if (rel.startsWith("code/") || rel.equals("constants.pkl") || rel.equals("data.pkl")
                        || rel.equals("version") || rel.equals(".data/version") || rel.equals("byteorder")) {
                    // version selects operator upgraders (e.g. integer division before version 4),
                    // byteorder how storages are read: both change what the module computes
                    arch.put(rel, zip.getInputStream(e).readAllBytes());
                } else {
                    throw refused(archive, "holds the entry '" + name + "', which opg does not know; expected only code/, "
                            + "data/, constants/, extra/, .data/, constants.pkl, data.pkl, version and byteorder under one top folder");
                }
            }
        } catch (ZipException e) {
            throw new MalformedInputException(archive + " is not a TorchScript archive (not a readable zip file: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TorchScript archive " + archive, e);
        }
        if (arch.keySet().stream().noneMatch(k -> k.startsWith("code/"))) {
            throw new MalformedInputException(archive + " holds no TorchScript code; is it a TorchScript archive?");
        }
        LeafWriter w = new LeafWriter("OPG-TORCHSCRIPT", 2).u32(arch.size());
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

    private static MalformedInputException refused(Path archive, String what) {
        return new MalformedInputException("TorchScript archive " + archive + " " + what + "; opg refuses it because the "
                + "engine could run bytes the model id does not cover");
    }

    /**
     * The entry name if it is canonical: {@code top/rest}, '/'-separated, no empty, "." or ".."
     * segment, no backslash, no leading '/', no control character, NUL or drive letter.
     */
    private static String canonicalEntry(Path archive, String name) {
        boolean dir = name.endsWith("/");
        String body = dir ? name.substring(0, name.length() - 1) : name;
        boolean ok = !body.isEmpty() && body.indexOf('/') > 0 && name.indexOf('\\') < 0 && name.indexOf(':') < 0
                && name.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
        if (ok) {
            for (String seg : body.split("/", -1)) {
                ok &= !seg.isEmpty() && !seg.equals(".") && !seg.equals("..");
            }
        }
        if (!ok && !(dir && body.indexOf('/') < 0 && !body.isEmpty() && !body.equals(".") && !body.equals("..")
                && body.indexOf('\\') < 0 && body.indexOf(':') < 0)) {
            throw refused(archive, "holds the entry '" + name + "', whose path is not canonical (expected top/relative/path "
                    + "without empty, '.' or '..' segments, backslashes, colons or control characters)");
        }
        return dir && body.indexOf('/') < 0 ? body + "/" : body;
    }

    @Override
    public ModelCommitment commitment() {
        return commitment;
    }

    @Override
    public List<String> stepNames() {
        return List.of(STEP_NAME);
    }

    private final java.util.Map<Integer, dev.opg.core.transcript.StepPlan> plans = new java.util.concurrent.ConcurrentHashMap<>();

    /** One step, {@code forward}, on every model input; the model returns its outputs. */
    @Override
    public dev.opg.core.transcript.Dataflow dataflow(NDList inputs) {
        return plan(inputs).withDigests(commitment().modelId(), ModelRunner.digests(inputs));
    }

    @Override
    public dev.opg.core.transcript.StepPlan plan(NDList inputs) {
        return plans.computeIfAbsent(inputs.size(), n -> BlockRunner.sequential(n, List.of(STEP_NAME)));
    }

    @Override
    public dev.opg.core.transcript.StepPlan fixedPlan() {
        return plans.computeIfAbsent(1, n -> BlockRunner.sequential(n, List.of(STEP_NAME)));
    }

    /** libtorch runs the scripted graph as one call: one block, whatever the granularity. */
    @Override
    public List<String> defaultCuts(dev.opg.core.transcript.StepPlan nodes) {
        return List.of();
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
