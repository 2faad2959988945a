package dev.opg.core.transcript;

/**
 * The caps the spec sets on every count and length in a transcript. Encoders refuse to build, and
 * decoders refuse to read, anything above them ({@link dev.opg.core.LimitExceededException}).
 */
public final class TranscriptLimits {
    /** Steps in one transcript. */
    public static final int MAX_STEPS = 1 << 20;
    /** UTF-8 bytes in a step name. */
    public static final int MAX_NAME_BYTES = 1024;
    /** Input or output digests in one step, and in the header. */
    public static final int MAX_TENSORS = 1024;
    /** Values in one sketch (the projection dimension k). */
    public static final int MAX_SKETCH_DIMENSION = 1024;
    /** UTF-8 bytes in one string field of a determinism profile. */
    public static final int MAX_PROFILE_STRING_BYTES = 256;
    /** Tensor rank (one byte, as in the tensor header). */
    public static final int MAX_RANK = 255;
    /** Bytes in one JSON transcript document. */
    public static final long MAX_JSON_BYTES = 256L << 20;

    private TranscriptLimits() {}
}
