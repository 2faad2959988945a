package dev.opg.chain;

/** The sending account cannot pay for gas (or value): fund it and try again. Not retried. */
public class InsufficientFundsException extends ChainException {
    private static final long serialVersionUID = 1L;

    public InsufficientFundsException(String message) {
        super(message);
    }
}
