package dev.opg.core;

/** Lower-case hexadecimal without a prefix, the form every opg file and vector uses. */
public final class Hex {
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex() {}

    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = DIGITS[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = DIGITS[bytes[i] & 0xf];
        }
        return new String(out);
    }

    /**
     * Decodes lower- or upper-case hex. An optional {@code 0x} prefix is not accepted: the
     * protocol's files never carry one, and a value that does is from somewhere else.
     *
     * @throws MalformedInputException on an odd length or a character that is not a hex digit
     */
    public static byte[] decode(CharSequence hex) {
        if (hex == null) {
            throw new MalformedInputException("expected a hex string, got null");
        }
        int n = hex.length();
        if ((n & 1) != 0) {
            throw new MalformedInputException(
                    "hex string has odd length " + n + "; expected two digits per byte");
        }
        byte[] out = new byte[n / 2];
        for (int i = 0; i < n; i += 2) {
            out[i / 2] = (byte) ((digit(hex, i) << 4) | digit(hex, i + 1));
        }
        return out;
    }

    /** Decodes hex that must hold exactly {@code length} bytes (a digest, say). */
    public static byte[] decode(CharSequence hex, int length, String what) {
        byte[] out = decode(hex);
        if (out.length != length) {
            throw new MalformedInputException(
                    what + " has " + out.length + " bytes; expected " + length);
        }
        return out;
    }

    private static int digit(CharSequence hex, int i) {
        char c = hex.charAt(i);
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        throw new MalformedInputException(
                "character '" + c + "' at position " + i + " is not a hex digit [0-9a-f]");
    }
}
