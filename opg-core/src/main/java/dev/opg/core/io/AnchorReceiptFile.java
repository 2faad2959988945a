package dev.opg.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.opg.core.Digest;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.InclusionProof;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code opg anchor} writes beside each transcript ({@code TRANSCRIPT.anchor.json}) so that
 * {@code opg check-anchor} can later prove a root that was anchored inside a batch: the chain,
 * contract, transaction, and (for a batch) the batch root and the transcript root's inclusion
 * proof.
 *
 * @param root the transcript root
 * @param chainId the chain it was anchored on
 * @param contract the TranscriptAnchor contract
 * @param submitter the account that anchored it (null in receipts written before anchors were
 *     kept per submitter); a hint only: {@code check-anchor} asks the contract, and
 *     {@code --submitter} says whose anchor is required
 * @param transactionHash the anchoring transaction (may be null)
 * @param blockNumber the block
 * @param batchRoot the anchored batch root, or null when the root was anchored alone
 * @param proof the root's inclusion proof in the batch, or null when anchored alone
 */
public record AnchorReceiptFile(Digest root, long chainId, String contract, String submitter, String transactionHash,
        long blockNumber, Digest batchRoot, InclusionProof proof) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the receipt of {@code transcript} is written: {@code TRANSCRIPT.anchor.json} beside it. */
    public static Path beside(Path transcript) {
        return transcript.resolveSibling(transcript.getFileName() + ".anchor.json");
    }

    /** Writes the receipt as JSON (spec section 3.10). */
    public void write(Path file) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", "opg-anchor-receipt");
        o.put("root", root.hex());
        o.put("chainId", chainId);
        o.put("contract", contract);
        o.put("submitter", submitter);
        o.put("transactionHash", transactionHash);
        o.put("blockNumber", blockNumber);
        if (batchRoot != null) {
            o.put("batchRoot", batchRoot.hex());
            o.put("leafIndex", proof.leafIndex());
            o.put("treeSize", proof.treeSize());
            ArrayNode path = o.putArray("path");
            proof.path().forEach(d -> path.add(d.hex()));
        }
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
    }

    /** Largest receipt read (spec section 3.10): a receipt is a few hundred bytes and a proof of at most 64 digests. */
    public static final int MAX_BYTES = 1 << 20;

    /**
     * Reads a receipt.
     *
     * @throws MalformedInputException saying what is wrong: no such file, over {@link #MAX_BYTES},
     *     not a receipt, or a malformed field
     */
    public static AnchorReceiptFile read(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new MalformedInputException("anchor receipt " + file + " does not exist or is not a file");
            }
            byte[] bytes;
            try (java.io.InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_BYTES + 1);
            }
            if (bytes.length > MAX_BYTES) {
                throw new MalformedInputException("anchor receipt " + file + " exceeds the cap of " + MAX_BYTES + " bytes");
            }
            JsonNode o = JSON.readTree(bytes);
            if (o == null || !"opg-anchor-receipt".equals(o.path("format").asText())) {
                throw new MalformedInputException(file + " is not an opg anchor receipt");
            }
            Digest batch = null;
            InclusionProof proof = null;
            if (o.hasNonNull("batchRoot")) {
                batch = Digest.fromHex(o.get("batchRoot").asText());
                List<Digest> path = new ArrayList<>();
                o.path("path").forEach(n -> path.add(Digest.fromHex(n.asText())));
                proof = new InclusionProof(o.path("leafIndex").asLong(), o.path("treeSize").asLong(), path);
            }
            String submitter = o.hasNonNull("submitter") ? address(o.get("submitter").asText()) : null;
            return new AnchorReceiptFile(Digest.fromHex(o.path("root").asText()), o.path("chainId").asLong(),
                    o.path("contract").asText(), submitter, o.path("transactionHash").asText(null),
                    o.path("blockNumber").asLong(), batch, proof);
        } catch (IOException e) {
            throw new MalformedInputException("cannot read anchor receipt " + file + ": " + e.getMessage());
        } catch (RuntimeException e) {
            if (e instanceof MalformedInputException m) {
                throw m;
            }
            throw new MalformedInputException("anchor receipt " + file + " is malformed: " + e.getMessage());
        }
    }

    private static final java.util.regex.Pattern ADDRESS = java.util.regex.Pattern.compile("0x[0-9a-fA-F]{40}");

    private static String address(String value) {
        if (!ADDRESS.matcher(value).matches()) {
            throw new MalformedInputException("its submitter must be a 0x-prefixed 20-byte hex address; got " + value);
        }
        return value.toLowerCase(java.util.Locale.ROOT);
    }
}
