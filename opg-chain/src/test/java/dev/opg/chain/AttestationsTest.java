package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
import dev.opg.core.Hex;
import java.math.BigInteger;
import java.util.Arrays;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;
import dev.opg.core.MalformedInputException;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.StructuredDataEncoder;

/** EIP-712 attestations off chain; the contract side is in {@link TranscriptAnchorContractTest}. */
class AttestationsTest {
    static final String CONTRACT = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
    static final Digest ROOT = TestChain.root("transcript");
    static final Digest MODEL = TestChain.root("model");

    @Test
    void digestMatchesWeb3jsStructuredDataEncoder() throws Exception {
        String json = """
            {"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},
              {"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],
             "Attestation":[{"name":"transcriptRoot","type":"bytes32"},{"name":"modelId","type":"bytes32"}]},
             "primaryType":"Attestation",
             "domain":{"name":"opg TranscriptAnchor","version":"1","chainId":31337,"verifyingContract":"%s"},
             "message":{"transcriptRoot":"0x%s","modelId":"0x%s"}}
            """.formatted(CONTRACT, ROOT.hex(), MODEL.hex());
        byte[] expected = new StructuredDataEncoder(json).hashStructuredData();
        assertArrayEquals(expected, Attestations.digest(ROOT, MODEL, 31337, CONTRACT));
    }

    @Test
    void signedAttestationVerifiesForItsDomainOnly() {
        Attestation a = Attestations.sign(ROOT, MODEL, 31337, CONTRACT, TestChain.DEV1.getEcKeyPair());
        assertEquals(TestChain.DEV1.getAddress(), a.executor());
        assertTrue(Attestations.verify(a, 31337, CONTRACT));
        assertFalse(Attestations.verify(a, 1, CONTRACT), "another chain id must be rejected");
        assertFalse(Attestations.verify(a, 31337, "0x" + "00".repeat(19) + "01"), "another contract must be rejected");
        // a record that lies about its domain still does not verify under the expected one
        Attestation relabelled = new Attestation(ROOT, MODEL, 1, CONTRACT, a.executor(), a.signature());
        assertFalse(Attestations.verify(relabelled, 1, CONTRACT));
        assertEquals(a.executor(), Attestations.recover(a, 31337, CONTRACT).orElseThrow());
        assertFalse(a.executor().equals(Attestations.recover(a, 1, CONTRACT).orElse("")));
    }

    @Test
    void tamperedFieldsOrSignatureAreRejected() {
        Attestation a = Attestations.sign(ROOT, MODEL, 31337, CONTRACT, TestChain.DEV1.getEcKeyPair());
        assertFalse(Attestations.verify(new Attestation(TestChain.flip(ROOT, 31), MODEL, 31337, CONTRACT,
                a.executor(), a.signature()), 31337, CONTRACT));
        assertFalse(Attestations.verify(new Attestation(ROOT, TestChain.flip(MODEL, 0), 31337, CONTRACT,
                a.executor(), a.signature()), 31337, CONTRACT));
        assertFalse(Attestations.verify(new Attestation(ROOT, MODEL, 31337, CONTRACT, TestChain.DEV0.getAddress(),
                a.signature()), 31337, CONTRACT), "claimed executor differs from the signer");
        char c = a.signature().charAt(10);
        String badSig = a.signature().substring(0, 10) + (c == 'a' ? 'b' : 'a') + a.signature().substring(11);
        assertFalse(Attestations.verify(new Attestation(ROOT, MODEL, 31337, CONTRACT, a.executor(), badSig), 31337, CONTRACT));
    }

    @Test
    void highSSignatureOfTheSameKeyIsRejectedLikeTheContractDoes() {
        Attestation a = Attestations.sign(ROOT, MODEL, 31337, CONTRACT, TestChain.DEV1.getEcKeyPair());
        assertTrue(Attestations.verify(a, 31337, CONTRACT), "honest control: the low-s original verifies");
        byte[] rsv = a.signatureBytes();
        BigInteger sv = new BigInteger(1, Arrays.copyOfRange(rsv, 32, 64));
        assertTrue(sv.compareTo(Attestations.HALF_CURVE_ORDER) <= 0, "signing yields low s");
        Attestation twin = malleate(a);
        assertNotEquals(a.signature(), twin.signature());
        // The twin is a valid ECDSA signature of the same key: plain recovery accepts it...
        Sign.SignatureData sig = new Sign.SignatureData(twin.signatureBytes()[64],
                Arrays.copyOfRange(twin.signatureBytes(), 0, 32), Arrays.copyOfRange(twin.signatureBytes(), 32, 64));
        assertDoesNotThrow(() -> assertEquals(a.executor().substring(2),
                Keys.getAddress(Sign.signedMessageHashToKey(Attestations.digest(ROOT, MODEL, 31337, CONTRACT), sig))));
        // ...but opg refuses it, as the contract's recoverAttester does (s > n/2).
        assertTrue(Attestations.recover(twin, 31337, CONTRACT).isEmpty());
        assertFalse(Attestations.verify(twin, 31337, CONTRACT));
        // s = n/2 + 1 is the smallest high s; s = 0 and r = 0 are refused too.
        assertTrue(Attestations.recover(withS(a, Attestations.HALF_CURVE_ORDER.add(BigInteger.ONE)), 31337, CONTRACT).isEmpty());
        assertTrue(Attestations.recover(withS(a, BigInteger.ZERO), 31337, CONTRACT).isEmpty());
        byte[] zeroR = a.signatureBytes();
        Arrays.fill(zeroR, 0, 32, (byte) 0);
        assertTrue(Attestations.recover(new Attestation(ROOT, MODEL, 31337, CONTRACT, a.executor(),
                "0x" + Hex.encode(zeroR)), 31337, CONTRACT).isEmpty());
    }

    /** The other signature of the same key over the same digest: (r, n - s, v ^ 1). */
    static Attestation malleate(Attestation a) {
        byte[] rsv = a.signatureBytes();
        BigInteger sv = new BigInteger(1, Arrays.copyOfRange(rsv, 32, 64));
        Attestation high = withS(a, Attestations.CURVE_ORDER.subtract(sv));
        byte[] b = high.signatureBytes();
        b[64] = (byte) (b[64] == 27 ? 28 : 27);
        return new Attestation(a.transcriptRoot(), a.modelId(), a.chainId(), a.contract(), a.executor(), "0x" + Hex.encode(b));
    }

    static Attestation withS(Attestation a, BigInteger s) {
        byte[] b = a.signatureBytes();
        System.arraycopy(Numeric.toBytesPadded(s, 32), 0, b, 32, 32);
        return new Attestation(a.transcriptRoot(), a.modelId(), a.chainId(), a.contract(), a.executor(), "0x" + Hex.encode(b));
    }

    @Test
    void malformedSignaturesAreTypedErrors() {
        assertThrows(MalformedInputException.class,
                () -> new Attestation(ROOT, MODEL, 1, CONTRACT, CONTRACT, "0x1234"));
        assertThrows(MalformedInputException.class,
                () -> new Attestation(ROOT, MODEL, 1, "not-an-address", CONTRACT, "0x" + "00".repeat(65)));
    }
}
