package dev.opg.cli;

import dev.opg.core.generate.Commitment;
import dev.opg.core.generate.DecoderModel;
import dev.opg.core.generate.GenerationCodec;
import dev.opg.core.generate.GenerationHeader;
import dev.opg.core.generate.GenerationTranscript;
import dev.opg.core.generate.KvWitness;
import dev.opg.core.MalformedInputException;
import dev.opg.core.onnx.OnnxProfiles;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.profile.ProfileNotAppliedException;
import dev.opg.verify.Verdict;
import dev.opg.verify.generate.GenerationReport;
import dev.opg.verify.generate.GenerationVerifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code opg verify} and {@code opg inspect} for generation transcripts (the commands dispatch here on the file's format). */
final class GenerationCli {
    private GenerationCli() {}

    static boolean isGeneration(Path file) {
        try {
            return Files.isRegularFile(file) && GenerationCodec.isGeneration(file);
        } catch (IOException e) {
            return false;
        }
    }

    /** The root of a transcript file of either kind (model or generation), fully validated. */
    static dev.opg.core.Digest rootOf(Path file) {
        if (!isGeneration(file)) {
            return Transcripts.read(file).root();
        }
        try {
            return read(file).root();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        }
    }

    static GenerationTranscript read(Path file) throws IOException {
        try {
            return GenerationCodec.read(file);
        } catch (MalformedInputException e) {
            throw new CliException(ExitCodes.USAGE, "generation transcript " + file + " is not valid: " + e.getMessage(), e);
        }
    }

    /** Exact by default; {@code fast}: one teacher-forced pass; {@code spot}: K tokens from the KV witness. */
    static int verify(PrintWriter out, Path file, Path modelDir, boolean fast, Integer spot, Path witness, Long seed) throws IOException {
        GenerationTranscript t = read(file);
        if (modelDir == null || !Files.isDirectory(modelDir)) {
            throw CliException.usage("--model must be the decoder's directory (one .onnx, tokenizer.json, generation.json)");
        }
        if (spot != null && witness == null) {
            throw CliException.usage("--spot K on a generation transcript needs --witness FILE (the KV witness opg generate --witness wrote)");
        }
        DeterminismProfile want = t.profile();
        DeterminismProfile profile;
        if (fast) {
            profile = OnnxProfiles.apply(want.intraOpThreads(), want.interOpThreads(), want.seed());
        } else {
            try {
                profile = OnnxProfiles.require(want);
            } catch (ProfileNotAppliedException e) {
                out.println("INCONCLUSIVE " + t.root().hex() + ": " + e.getMessage());
                out.flush();
                return ExitCodes.ENVIRONMENT;
            }
        }
        try (DecoderModel m = DecoderModel.open(modelDir, profile)) {
            GenerationVerifier v = new GenerationVerifier(m);
            GenerationReport r;
            if (fast) {
                r = v.fast(t);
            } else if (spot != null) {
                long s = seed != null ? seed : VerifyCommand.randomSeed();
                r = v.spot(t, spot, KvWitness.read(witness), s);
                out.println("  spot seed " + s);
            } else {
                r = v.exact(t);
            }
            out.println(r.verdict() + " " + t.root().hex() + " (" + r.check() + ")" + (r.firstFailingToken() >= 0
                    ? " at generated token " + r.firstFailingToken() : "") + ": " + r.reason());
            if (r.check().equals("fast")) {
                out.println("  note: largest logit-sketch difference " + r.maxSketchError());
            }
            for (String n : r.notes()) {
                out.println("  note: " + n);
            }
            out.flush();
            return r.verdict() == Verdict.VALID ? ExitCodes.OK : r.verdict() == Verdict.INVALID ? ExitCodes.INVALID : ExitCodes.ENVIRONMENT;
        }
    }

    static int inspect(PrintWriter out, Path file) throws IOException {
        GenerationTranscript t = read(file);
        GenerationHeader h = t.header();
        row(out, "root", t.root().hex() + " (" + t.leafCount() + " leaves)");
        row(out, "kind", "generation, " + t.commitment().specName() + " commitment, " + h.granularity().specName() + " granularity"
                + (h.cuts().isEmpty() ? "" : " (" + h.cuts().size() + " cuts)"));
        row(out, "model id", h.modelId().hex());
        row(out, "tokenizer", h.tokenizer().hex());
        row(out, "profile", t.profile().engine() + " " + t.profile().engineVersion() + ", " + t.profile().cpuCapability());
        row(out, "prompt", "\"" + h.promptText() + "\" " + h.promptTokens());
        var s = h.sampling();
        row(out, "sampling", (s.isGreedy() ? "greedy" : "temperature " + s.temperature() + ", top-k " + s.topK() + ", top-p " + s.topP())
                + ", seed " + s.seed() + ", max new tokens " + s.maxNewTokens() + ", stop tokens " + s.stopTokens());
        row(out, "tokens", t.tokens().size() + " " + t.tokens());
        row(out, "stop", t.end().reason().specName());
        row(out, "text", "\"" + t.end().text() + "\"");
        if (t.commitment() == Commitment.FULL && !t.segments().isEmpty()) {
            row(out, "steps/token", String.valueOf(t.segments().get(t.segments().size() - 1).steps().size()));
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static void row(PrintWriter out, String k, String v) {
        out.printf("%-14s %s%n", k, v);
    }
}
