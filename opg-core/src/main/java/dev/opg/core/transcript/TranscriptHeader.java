package dev.opg.core.transcript;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.UnsupportedVersionException;
import java.util.List;

/**
 * The first leaf of every transcript: what was run (model id), how (profile digest, commitment
 * mode, sketch dimension) and on what (input digests), with what result (output digests). Input
 * and output digests are always full tensor digests, in both modes.
 *
 * <p>Version 3 also records the {@link Granularity} of the steps, the block partition used at
 * {@link Granularity#BLOCK} ({@code cuts}: the name of the first node step of every block but
 * the first), and the {@code scope}: empty for a transcript of the whole model, the block step's
 * name for a dispute's descent into one block (spec section 3.14), whose inputs are then the
 * block's committed inputs and whose outputs its committed outputs.
 *
 * <p>Version 2 binds each input to the model input it was fed to: {@code inputNames.get(i)} is
 * the name under which the runner fed the tensor {@code inputs.get(i)} (an ONNX graph input name;
 * the decimal position {@code "0"}, {@code "1"}, ... for positional models, DJL blocks and
 * TorchScript). Two inputs holding the same tensors under swapped names therefore have different
 * headers. Names are unique, non-empty, valid Unicode and at most
 * {@link TranscriptLimits#MAX_NAME_BYTES} UTF-8 bytes.
 *
 * @param version the transcript spec version, {@link #VERSION}
 * @param mode how steps are committed
 * @param sketchDimension k, the values per sketch: 0 in FULL mode, 1..{@link TranscriptLimits#MAX_SKETCH_DIMENSION} in SKETCH mode
 * @param granularity how finely the steps commit to the execution
 * @param scope empty for the whole model; the name of the block this transcript descends into
 * @param cuts at {@link Granularity#BLOCK}: the node step names where blocks 2, 3, ... start; empty otherwise
 * @param modelId the model commitment root
 * @param profileDigest digest of the determinism profile the run used
 * @param inputNames the model input each tensor was bound to, parallel to {@code inputs}
 * @param inputs digests of the model's input tensors, in order
 * @param outputs digests of the model's output tensors, in order
 */
public record TranscriptHeader(int version, CommitmentMode mode, int sketchDimension, Granularity granularity, String scope,
        List<String> cuts, Digest modelId, Digest profileDigest, List<String> inputNames, List<Digest> inputs, List<Digest> outputs) {
    /** The transcript (header leaf and JSON) version this code writes and reads. */
    public static final int VERSION = 3;
    /** The version of the step leaf encoding ({@code OPG-STEP}), unchanged by header versions 2 and 3. */
    public static final int STEP_VERSION = 1;

    public TranscriptHeader {
        if (version != VERSION) {
            throw unsupported(version);
        }
        if (mode == null || modelId == null || profileDigest == null || granularity == null || scope == null) {
            throw new MalformedInputException("a transcript header needs a mode, a granularity, a scope, a model id and a profile digest");
        }
        LeafWriter.check(scope, TranscriptLimits.MAX_NAME_BYTES, "header scope");
        cuts = Step.copy(cuts, "header cuts");
        if (granularity != Granularity.BLOCK && !cuts.isEmpty()) {
            throw new MalformedInputException("a " + granularity.specName() + "-granularity header has no cuts; got " + cuts.size());
        }
        if (!scope.isEmpty() && granularity != Granularity.NODE) {
            throw new MalformedInputException("a descent into block '" + scope + "' is at node granularity; got " + granularity.specName());
        }
        int cutRepeat = firstRepeat(cuts);
        for (int i = 0; i < cuts.size(); i++) {
            LeafWriter.check(cuts.get(i), TranscriptLimits.MAX_NAME_BYTES, "header cut ", i, "");
            if (i == cutRepeat) {
                throw new MalformedInputException("header cut '" + cuts.get(i) + "' appears twice; a block starts at a node once");
            }
        }
        if (mode == CommitmentMode.FULL && sketchDimension != 0) {
            throw new MalformedInputException("a FULL-mode header has sketch dimension 0; got " + sketchDimension);
        }
        if (mode == CommitmentMode.SKETCH && (sketchDimension < 1 || sketchDimension > TranscriptLimits.MAX_SKETCH_DIMENSION)) {
            throw new LimitExceededException("sketch dimension " + sketchDimension + " is outside 1.." + TranscriptLimits.MAX_SKETCH_DIMENSION);
        }
        inputNames = Step.copy(inputNames, "header input names");
        inputs = Step.copy(inputs, "header inputs");
        outputs = Step.copy(outputs, "header outputs");
        if (inputNames.size() != inputs.size()) {
            throw new MalformedInputException("the header names " + inputNames.size() + " model inputs but holds "
                    + inputs.size() + " input digests; each input digest needs the name it was bound to");
        }
        int nameRepeat = firstRepeat(inputNames);
        for (int i = 0; i < inputNames.size(); i++) {
            String n = inputNames.get(i);
            LeafWriter.check(n, TranscriptLimits.MAX_NAME_BYTES, "header input name ", i, "");
            if (n.isEmpty()) {
                throw new MalformedInputException("header input " + i + " has an empty name; every input is bound to a named model input");
            }
            if (i == nameRepeat) {
                throw new MalformedInputException("header input name '" + n + "' appears twice; a model input is bound once");
            }
        }
    }

    /**
     * The first position whose name equals one before it, or -1: what a set filled in order finds
     * first. Headers are built per prediction, so a few names are compared pairwise.
     */
    private static int firstRepeat(List<String> names) {
        int n = names.size();
        if (n > 16) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < n; i++) {
                if (!seen.add(names.get(i))) {
                    return i;
                }
            }
            return -1;
        }
        for (int i = 1; i < n; i++) {
            String s = names.get(i);
            for (int j = 0; j < i; j++) {
                if (names.get(j).equals(s)) {
                    return i;
                }
            }
        }
        return -1;
    }

    /**
     * A whole-model header at {@link Granularity#NODE} (no scope, no cuts): the shape of every
     * header before version 3, kept for callers that build node-granularity headers by hand.
     */
    public TranscriptHeader(int version, CommitmentMode mode, int sketchDimension, Digest modelId, Digest profileDigest,
            List<String> inputNames, List<Digest> inputs, List<Digest> outputs) {
        this(version, mode, sketchDimension, Granularity.NODE, "", List.of(), modelId, profileDigest, inputNames, inputs, outputs);
    }

    /** A header of the current version at node granularity, each input bound to the model input named beside it. */
    public static TranscriptHeader of(CommitmentMode mode, int sketchDimension, Digest modelId, Digest profileDigest,
            List<String> inputNames, List<Digest> inputs, List<Digest> outputs) {
        return new TranscriptHeader(VERSION, mode, sketchDimension, modelId, profileDigest, inputNames, inputs, outputs);
    }

    /** This header with another profile digest (everything else as it is). */
    public TranscriptHeader withProfileDigest(Digest d) {
        return new TranscriptHeader(version, mode, sketchDimension, granularity, scope, cuts, modelId, d, inputNames, inputs, outputs);
    }

    /** This header with another model id. */
    public TranscriptHeader withModelId(Digest d) {
        return new TranscriptHeader(version, mode, sketchDimension, granularity, scope, cuts, d, profileDigest, inputNames, inputs, outputs);
    }

    /** This header with other bound inputs. */
    public TranscriptHeader withInputs(List<String> names, List<Digest> digests) {
        return new TranscriptHeader(version, mode, sketchDimension, granularity, scope, cuts, modelId, profileDigest, names, digests, outputs);
    }

    /** This header with other outputs. */
    public TranscriptHeader withOutputs(List<Digest> d) {
        return new TranscriptHeader(version, mode, sketchDimension, granularity, scope, cuts, modelId, profileDigest, inputNames, inputs, d);
    }

    /** This header with another granularity and cut list. */
    public TranscriptHeader withPartition(Granularity g, List<String> c) {
        return new TranscriptHeader(version, mode, sketchDimension, g, scope, c, modelId, profileDigest, inputNames, inputs, outputs);
    }

    /**
     * A header of the current version for a positional model (DJL blocks, TorchScript): input
     * {@code i} is bound to the name {@link #positionalNames positional name} {@code "i"}.
     */
    public static TranscriptHeader of(CommitmentMode mode, int sketchDimension, Digest modelId, Digest profileDigest,
            List<Digest> inputs, List<Digest> outputs) {
        return of(mode, sketchDimension, modelId, profileDigest, positionalNames(inputs == null ? 0 : inputs.size()), inputs, outputs);
    }

    /** The bound inputs as a report shows them: {@code [name=hex, ...]} ({@code ?} for a digest without a name). */
    public static String describeInputs(List<String> names, List<Digest> digests) {
        java.util.List<String> out = new java.util.ArrayList<>(digests.size());
        for (int i = 0; i < digests.size(); i++) {
            out.add((i < names.size() ? names.get(i) : "?") + "=" + digests.get(i).hex());
        }
        return out.toString();
    }

    /** The canonical binding of a positional model with {@code n} inputs: {@code "0", "1", ..., "n-1"}. */
    public static List<String> positionalNames(int n) {
        if (n >= 0 && n < POSITIONAL.length) {
            return POSITIONAL[n]; // asked for on every prediction of a positional model
        }
        return positional(n);
    }

    /** {@link #positionalNames} for 0..15 inputs, made once. */
    private static final List<String>[] POSITIONAL = positionalUpTo(16);

    @SuppressWarnings("unchecked")
    private static List<String>[] positionalUpTo(int count) {
        List<String>[] out = new List[count];
        for (int n = 0; n < count; n++) {
            out[n] = positional(n);
        }
        return out;
    }

    private static List<String> positional(int n) {
        java.util.List<String> names = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(Integer.toString(i));
        }
        return List.copyOf(names);
    }

    /** The error for a header or JSON version this code does not read; version 1 headers bound no input names. */
    static UnsupportedVersionException unsupported(long version) {
        if (version == 2) {
            return new UnsupportedVersionException("transcript version 2 is not supported: its header does not record the step "
                    + "granularity (node, block, output); re-prove the input with this version of opg (it writes version " + VERSION
                    + "; a version 2 transcript is a node-granularity one, re-proved with --granularity node it has the same steps)");
        }
        if (version == 1) {
            return new UnsupportedVersionException("transcript version 1 is not supported: its header does not record which model "
                    + "input each tensor was bound to; re-prove the input with this version of opg (it writes version " + VERSION + ")");
        }
        return new UnsupportedVersionException("transcript version " + version + " is not supported; this implementation reads version " + VERSION);
    }

    /** The spec's byte encoding of this header, the data of Merkle leaf 0. */
    public byte[] leafData() {
        return LeafEncoding.header(this);
    }
}
