package dev.opg.core.generate;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@code tokenizer.json} (HuggingFace tokenizers format) read by DJL's
 * {@code ai.djl.huggingface:tokenizers}, whose native library ships inside its jar (nothing is
 * downloaded). Its digest, SHA-256 of the file's bytes, is committed in the generation header.
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final Digest digest;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, Digest digest) {
        this.tokenizer = tokenizer;
        this.digest = digest;
    }

    /**
     * Opens {@code file}.
     *
     * @throws MalformedInputException if the file is not a tokenizer the library can read
     */
    public static TextTokenizer open(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer " + file, e);
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            return new TextTokenizer(t, Digest.of(sha256(bytes)));
        } catch (IOException | RuntimeException e) {
            throw new MalformedInputException(file + " is not a tokenizer.json that HuggingFace tokenizers can read: " + e.getMessage(), e);
        }
    }

    /** SHA-256 of the tokenizer file. */
    public Digest digest() {
        return digest;
    }

    /** The token ids of {@code text}, with no special tokens added. */
    public List<Integer> encode(String text) {
        Encoding e = tokenizer.encode(text, false, false);
        List<Integer> ids = new ArrayList<>();
        for (long id : e.getIds()) {
            ids.add(Math.toIntExact(id));
        }
        return ids;
    }

    /** The text of {@code ids}, special tokens left out. */
    public String decode(List<Integer> ids) {
        long[] a = new long[ids.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ids.get(i);
        }
        return tokenizer.decode(a, true);
    }

    private static byte[] sha256(byte[] b) {
        return Sampler.sha256().digest(b);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
