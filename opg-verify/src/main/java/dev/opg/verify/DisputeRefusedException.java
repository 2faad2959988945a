package dev.opg.verify;

import dev.opg.core.OpgException;

/**
 * The referee will not rule on this dispute, and says why: the two transcripts are not about the
 * same terms in a way neither party can be blamed for (both under a profile other than the
 * referee's, or committed in different modes). A refusal is never a ruling either party can win.
 */
public final class DisputeRefusedException extends OpgException {
    private static final long serialVersionUID = 1L;

    public DisputeRefusedException(String message) {
        super(message);
    }
}
