package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Function;

/** The committed artifact is what the source compiles to, and the Java encoders agree with its ABI. */
class TranscriptAnchorArtifactTest {

    @Test
    void committedArtifactMatchesAFreshCompileByteForByte(@TempDir Path tmp) throws Exception {
        Path root = TestChain.repoRoot();
        Path script = root.resolve("opg-chain/scripts/compile.js");
        Path committed = root.resolve("opg-chain/src/main/resources/dev/opg/chain/TranscriptAnchor.json");
        assertTrue(Files.isRegularFile(script), "compile script missing at " + script);
        assertTrue(Files.isDirectory(root.resolve("node_modules/solc")),
                "solc-js is not installed under " + root + "/node_modules; run `npm ci` in the repository root");
        Path out = tmp.resolve("TranscriptAnchor.json");
        Process p = new ProcessBuilder("node", script.toString(), out.toString())
                .directory(root.toFile()).redirectErrorStream(true).start();
        String log;
        try (InputStream in = p.getInputStream()) {
            log = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "solc-js did not finish within 120 s");
        assertEquals(0, p.exitValue(), "node compile.js failed:\n" + log);
        byte[] fresh = Files.readAllBytes(out);
        byte[] inRepo = Files.readAllBytes(committed);
        assertArrayEquals(inRepo, fresh, "TranscriptAnchor.json drifted from TranscriptAnchor.sol: run "
                + "`node opg-chain/scripts/compile.js` and commit the result");
    }

    @Test
    void artifactOnTheClasspathIsTheCommittedFile() throws IOException {
        byte[] committed = Files.readAllBytes(TestChain.repoRoot()
                .resolve("opg-chain/src/main/resources/dev/opg/chain/TranscriptAnchor.json"));
        ContractArtifact a = ContractArtifact.transcriptAnchor();
        assertEquals(ContractArtifact.parse(committed), a);
        assertTrue(a.compilerVersion().startsWith("0.8.37+"), a.compilerVersion());
        assertTrue(a.deployedBytecode().length() > 100);
    }

    @Test
    void everyJavaFunctionExistsInTheAbiWithTheSameOutputs() {
        ContractArtifact a = ContractArtifact.transcriptAnchor();
        Set<String> abiFunctions = a.signatures("function");
        Set<String> javaFunctions = new TreeSet<>();
        for (Function f : TranscriptAnchorAbi.allFunctions()) {
            String sig = TranscriptAnchorAbi.signature(f);
            javaFunctions.add(sig);
            assertTrue(abiFunctions.contains(sig), sig + " is not in the ABI " + abiFunctions);
            List<String> outs = f.getOutputParameters().stream().map(TranscriptAnchorArtifactTest::typeName).toList();
            assertEquals(a.outputTypes(f.getName()), outs, "outputs of " + sig);
        }
        assertEquals(abiFunctions, javaFunctions, "the ABI has functions the Java side does not encode");
    }

    @Test
    void eventsAndErrorsAgreeWithTheAbi() {
        ContractArtifact a = ContractArtifact.transcriptAnchor();
        Set<String> javaEvents = new TreeSet<>();
        for (Event e : TranscriptAnchorAbi.allEvents()) {
            javaEvents.add(e.getName() + "(" + String.join(",",
                    e.getParameters().stream().map(TranscriptAnchorArtifactTest::typeName).toList()) + ")");
        }
        assertEquals(a.signatures("event"), javaEvents);
        assertEquals(a.signatures("error"), new TreeSet<>(TranscriptAnchorAbi.ERRORS.keySet()));
    }

    @Test
    void viewsAreViewsAndWritesAreNot() {
        ContractArtifact a = ContractArtifact.transcriptAnchor();
        for (String w : List.of("anchor", "anchorBatch", "attest")) {
            assertEquals("nonpayable", a.stateMutability(w), w);
        }
        for (String v : List.of("isAnchored", "anchorOf", "isBatchAnchored", "batchAnchorOf", "verifyInclusion",
                "recoverAttester", "attestedModel")) {
            assertEquals("view", a.stateMutability(v), v);
        }
    }

    @Test
    void describesCustomErrorsFromRevertData() {
        String data = "0x" + TranscriptAnchorAbi.selectorOf("WrongSigner(address,address)").substring(2)
                + "000000000000000000000000" + "11".repeat(20) + "000000000000000000000000" + "22".repeat(20);
        assertEquals("WrongSigner(0x" + "11".repeat(20) + ", 0x" + "22".repeat(20) + ")",
                TranscriptAnchorAbi.describeRevert(data));
        assertEquals("EmptyBatch()", TranscriptAnchorAbi.describeRevert(TranscriptAnchorAbi.selectorOf("EmptyBatch()")));
    }

    /** The Solidity type of a web3j type reference (the generated classes are named for it). */
    private static String typeName(TypeReference<?> t) {
        try {
            return t.getClassType().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
