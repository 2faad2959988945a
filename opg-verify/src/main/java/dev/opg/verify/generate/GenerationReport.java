package dev.opg.verify.generate;

import dev.opg.core.Digest;
import dev.opg.verify.Verdict;
import java.util.List;

/**
 * The answer of one check of a generation transcript.
 *
 * @param verdict VALID, INVALID or INCONCLUSIVE
 * @param check "exact", "fast" or "spot"
 * @param root the transcript's root
 * @param firstFailingToken the index of the first generated token that fails (-1 where none does or it is not about a token)
 * @param reason what failed, or what was checked
 * @param tokensChecked the tokens the check covered
 * @param maxSketchError the largest |committed - recomputed| logit sketch value seen (fast check), else 0
 * @param maxLogitError the largest logit difference between the verifier's runs where it computed both (else 0)
 * @param notes further facts (tolerances applied, tokens sampled)
 */
public record GenerationReport(Verdict verdict, String check, Digest root, int firstFailingToken, String reason, int tokensChecked,
        double maxSketchError, double maxLogitError, List<String> notes) {
    public GenerationReport {
        notes = List.copyOf(notes);
    }

    public boolean valid() {
        return verdict == Verdict.VALID;
    }

    static GenerationReport invalid(String check, Digest root, int token, String reason) {
        return new GenerationReport(Verdict.INVALID, check, root, token, reason, 0, 0, 0, List.of());
    }

    static GenerationReport inconclusive(String check, Digest root, String reason) {
        return new GenerationReport(Verdict.INCONCLUSIVE, check, root, -1, reason, 0, 0, 0, List.of());
    }

    /** One line for a terminal. */
    public String summary() {
        return verdict + " (" + check + ")" + (firstFailingToken >= 0 ? " at generated token " + firstFailingToken : "") + ": " + reason;
    }
}
