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
 * @param modelId the model commitment root
 * @param profileDigest digest of the determinism profile the run used
 * @param inputNames the model input each tensor was bound to, parallel to {@code inputs}
 * @param inputs digests of the model's input tensors, in order
 * @param outputs digests of the model's output tensors, in order
 */
public record TranscriptHeader(int version, CommitmentMode mode, int sketchDimension, Digest modelId,
        Digest profileDigest, List<String> inputNames, List<Digest> inputs, List<Digest> outputs) {
    /** The transcript (header leaf and JSON) version this code writes and reads. */
    public static final int VERSION = 2;
    /** The version of the step leaf encoding ({@code OPG-STEP}), unchanged by header version 2. */
    public static final int STEP_VERSION = 1;

    public TranscriptHeader {
        if (version != VERSION) {
            throw unsupported(version);
        }
        if (mode == null || modelId == null || profileDigest == null) {
            throw new MalformedInputException("a transcript header needs a mode, a model id and a profile digest");
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
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < inputNames.size(); i++) {
            String n = inputNames.get(i);
            LeafWriter.utf8(n, TranscriptLimits.MAX_NAME_BYTES, "header input name " + i);
            if (n.isEmpty()) {
                throw new MalformedInputException("header input " + i + " has an empty name; every input is bound to a named model input");
            }
            if (!seen.add(n)) {
                throw new MalformedInputException("header input name '" + n + "' appears twice; a model input is bound once");
            }
        }
    }

    /** A header of the current version, each input bound to the model input named beside it. */
    public static TranscriptHeader of(CommitmentMode mode, int sketchDimension, Digest modelId, Digest profileDigest,
            List<String> inputNames, List<Digest> inputs, List<Digest> outputs) {
        return new TranscriptHeader(VERSION, mode, sketchDimension, modelId, profileDigest, inputNames, inputs, outputs);
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
        java.util.List<String> names = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(Integer.toString(i));
        }
        return List.copyOf(names);
    }

    /** The error for a header or JSON version this code does not read; version 1 headers bound no input names. */
    static UnsupportedVersionException unsupported(long version) {
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
