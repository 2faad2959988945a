package dev.opg.spark;

import dev.opg.core.Digest;
import dev.opg.core.witness.Witness;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** A witness in its single-file form ({@link Witness#writeFile}) as bytes, and back. */
public final class WitnessBytes {
    private WitnessBytes() {}

    /** The bytes {@link Witness#writeFile} writes for {@code w}: its manifest, then every tensor it names, in ascending digest order. */
    public static byte[] encode(Witness w) {
        TreeSet<Digest> named = new TreeSet<>();
        named.addAll(w.modelInputs());
        named.addAll(w.modelOutputs());
        for (Witness.StepEntry s : w.steps()) {
            named.addAll(s.inputs());
            named.addAll(s.outputs());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("OPG-WITNESS-FILE".getBytes(StandardCharsets.US_ASCII));
        out.write(1);
        byte[] m = w.encodeManifest();
        out.writeBytes(le(m.length, 8));
        out.writeBytes(m);
        List<Digest> keys = new ArrayList<>(named);
        out.writeBytes(le(keys.size(), 4));
        for (Digest d : keys) {
            byte[] enc = w.tensor(d).encode();
            out.writeBytes(le(enc.length, 8));
            out.writeBytes(enc);
        }
        return out.toByteArray();
    }

    /** Reads and checks a witness from its single-file bytes (through a temporary file). */
    public static Witness decode(byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile("opg-witness-", ".bin");
        try {
            Files.write(tmp, bytes);
            return Witness.readFile(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] le(long v, int n) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
        byte[] out = new byte[n];
        System.arraycopy(b.array(), 0, out, 0, n);
        return out;
    }
}
