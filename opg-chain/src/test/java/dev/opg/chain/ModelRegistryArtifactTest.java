package dev.opg.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** The committed ModelRegistry artifact is what the source compiles to, and the Java encoders agree with its ABI. */
class ModelRegistryArtifactTest {

    @Test
    void committedArtifactMatchesAFreshCompileByteForByte(@TempDir Path tmp) throws Exception {
        Path root = TestChain.repoRoot();
        Path script = root.resolve("opg-chain/scripts/compile.js");
        Path committed = root.resolve("opg-chain/src/main/resources/dev/opg/chain/ModelRegistry.json");
        assertTrue(Files.isDirectory(root.resolve("node_modules/solc")),
                "solc-js is not installed under " + root + "/node_modules; run `npm ci` in the repository root");
        Path out = tmp.resolve("ModelRegistry.json");
        Process p = new ProcessBuilder("node", script.toString(), "--contract", "ModelRegistry", out.toString())
                .directory(root.toFile()).redirectErrorStream(true).start();
        String log;
        try (InputStream in = p.getInputStream()) {
            log = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "solc-js did not finish within 120 s");
        assertEquals(0, p.exitValue(), "node compile.js failed:\n" + log);
        assertArrayEquals(Files.readAllBytes(committed), Files.readAllBytes(out), "ModelRegistry.json drifted from ModelRegistry.sol: run "
                + "`node opg-chain/scripts/compile.js --contract ModelRegistry` and commit the result");
        assertEquals(ContractArtifact.parse(Files.readAllBytes(committed)), ContractArtifact.modelRegistry());
        assertTrue(ContractArtifact.modelRegistry().compilerVersion().startsWith("0.8.37+"));
    }

    @Test
    void anUnknownContractNameIsRefusedByTheCompileScript() throws Exception {
        Process p = new ProcessBuilder("node", TestChain.repoRoot().resolve("opg-chain/scripts/compile.js").toString(), "--contract",
                "Nope", "/dev/null").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), log);
        assertTrue(log.contains("unknown contract Nope"), log);
    }

    @Test
    void everyJavaFunctionExistsInTheAbiWithTheSameOutputs() {
        ContractArtifact a = ContractArtifact.modelRegistry();
        Set<String> abiFunctions = a.signatures("function");
        Set<String> javaFunctions = new TreeSet<>();
        for (Function f : ModelRegistryAbi.allFunctions()) {
            String sig = TranscriptAnchorAbi.signature(f);
            javaFunctions.add(sig);
            assertTrue(abiFunctions.contains(sig), sig + " is not in the ABI " + abiFunctions);
            assertEquals(a.outputTypes(f.getName()), f.getOutputParameters().stream().map(ModelRegistryArtifactTest::typeName).toList(),
                    "outputs of " + sig);
        }
        assertEquals(abiFunctions, javaFunctions, "the ABI has functions the Java side does not encode");
    }

    @Test
    void eventsAndErrorsAgreeWithTheAbi() {
        ContractArtifact a = ContractArtifact.modelRegistry();
        Set<String> javaEvents = new TreeSet<>();
        for (Event e : ModelRegistryAbi.allEvents()) {
            javaEvents.add(e.getName() + "(" + String.join(",", e.getParameters().stream().map(ModelRegistryArtifactTest::typeName).toList()) + ")");
        }
        assertEquals(a.signatures("event"), javaEvents);
        assertEquals(a.signatures("error"), new TreeSet<>(ModelRegistryAbi.ERRORS.keySet()));
    }

    @Test
    void viewsAreViewsAndWritesAreNot() {
        ContractArtifact a = ContractArtifact.modelRegistry();
        for (String w : List.of("register", "revoke")) {
            assertEquals("nonpayable", a.stateMutability(w), w);
        }
        for (String v : List.of("versionCount", "versionAt", "versionIndex", "registrationCount", "registrationAt")) {
            assertEquals("view", a.stateMutability(v), v);
        }
        for (String v : List.of("dssePae", "dsseDigest", "recoverDsseSigner")) {
            assertEquals("pure", a.stateMutability(v), v);
        }
    }

    @Test
    void describesRegistryErrorsWithTheirStringsEscaped() {
        String data = TranscriptAnchorAbi.encode(new Function("VersionTaken", List.of(new org.web3j.abi.datatypes.Utf8String("m\u001b[2J"),
                new org.web3j.abi.datatypes.Utf8String("1"), new org.web3j.abi.datatypes.generated.Uint256(3)), List.of()));
        assertEquals("VersionTaken(\"m\\u001b[2J\", \"1\", 3)", TranscriptAnchorAbi.describeRevert(data));
    }

    private static String typeName(TypeReference<?> t) {
        try {
            String n = t.getClassType().getSimpleName().toLowerCase(java.util.Locale.ROOT);
            return switch (n) {
                case "utf8string" -> "string";
                case "dynamicbytes" -> "bytes";
                default -> n;
            };
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
