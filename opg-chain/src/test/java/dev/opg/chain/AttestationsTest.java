package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Digest;
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
    void malformedSignaturesAreTypedErrors() {
        assertThrows(MalformedInputException.class,
                () -> new Attestation(ROOT, MODEL, 1, CONTRACT, CONTRACT, "0x1234"));
        assertThrows(MalformedInputException.class,
                () -> new Attestation(ROOT, MODEL, 1, "not-an-address", CONTRACT, "0x" + "00".repeat(65)));
    }
}
