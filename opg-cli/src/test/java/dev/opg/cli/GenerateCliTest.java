package dev.opg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** opg generate, then opg verify (exact, --fast, --spot) and opg inspect on the result, and on a tampered copy. */
class GenerateCliTest {
    static Path model() {
        for (Path p : new Path[] {Path.of("../opg-examples/models/kjv-gpt"), Path.of("opg-examples/models/kjv-gpt")}) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("opg-examples/models/kjv-gpt not found");
    }

    @Test
    void generateStreamVerifyInspectAndCatchATamperedToken(@TempDir Path tmp) throws Exception {
        Path t = tmp.resolve("t.json");
        Path kv = tmp.resolve("t.kv");
        String m = model().toString();
        Cli.Result g = Cli.run("generate", "--model", m, "--prompt", "And God said", "--max-new-tokens", "10", "--temperature", "0.8",
                "--top-k", "40", "--top-p", "0.95", "--seed", "7", "--no-stop", "--out", t.toString(), "--witness", kv.toString(), "--stream");
        assertEquals(0, g.code(), g.toString());
        String[] lines = g.out().split("\n");
        JsonNode first = new ObjectMapper().readTree(lines[0]);
        assertEquals(0, first.get("index").asInt());
        assertTrue(first.get("consistency").get("path").isArray());
        assertTrue(g.out().contains("root: "), g.out());
        assertEquals(11, g.out().lines().filter(l -> l.startsWith("{")).count(), "10 tokens and the end");

        Cli.Result exact = Cli.run("verify", t.toString(), "--model", m);
        assertEquals(0, exact.code(), exact.toString());
        assertTrue(exact.out().startsWith("VALID"), exact.out());
        Cli.Result fast = Cli.run("verify", t.toString(), "--model", m, "--fast");
        assertEquals(0, fast.code(), fast.toString());
        Cli.Result spot = Cli.run("verify", t.toString(), "--model", m, "--spot", "4", "--witness", kv.toString(), "--seed", "1");
        assertEquals(0, spot.code(), spot.toString());
        Cli.Result inspect = Cli.run("inspect", t.toString());
        assertEquals(0, inspect.code(), inspect.toString());
        assertTrue(inspect.out().contains("And God said"), inspect.out());

        // the compact commitment: same root, verified by replay and by the fast check
        Path c = tmp.resolve("c.json");
        Cli.Result gc = Cli.run("generate", "--model", m, "--prompt", "And God said", "--max-new-tokens", "10", "--temperature", "0.8",
                "--top-k", "40", "--top-p", "0.95", "--seed", "7", "--no-stop", "--out", c.toString(), "--compact");
        assertEquals(0, gc.code(), gc.toString());
        assertEquals(0, Cli.run("verify", c.toString(), "--model", m).code());
        assertEquals(0, Cli.run("verify", c.toString(), "--model", m, "--fast").code());
        assertTrue(Files.size(c) < Files.size(t) / 5, "compact is much smaller");

        // a token changed in the compact file: no root to recompute, so only the checks can catch it
        String json = Files.readString(c, StandardCharsets.UTF_8);
        JsonNode doc = new ObjectMapper().readTree(json);
        int tok = doc.get("tokens").get(3).asInt();
        String tokens = doc.get("tokens").toString();
        String changedTokens = tokens.replaceFirst("^\\[(\\d+),(\\d+),(\\d+)," + tok, "[$1,$2,$3," + (tok == 5 ? 6 : 5));
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, json.replace("\"tokens\":" + tokens, "\"tokens\":" + changedTokens), StandardCharsets.UTF_8);
        Cli.Result badExact = Cli.run("verify", bad.toString(), "--model", m);
        assertEquals(1, badExact.code(), badExact.toString());
        Cli.Result badFast = Cli.run("verify", bad.toString(), "--model", m, "--fast");
        assertEquals(1, badFast.code(), badFast.toString());

        // usage errors
        assertEquals(2, Cli.run("verify", t.toString(), "--model", m, "--spot", "2").code(), "--spot needs a witness");
        assertEquals(2, Cli.run("generate", "--model", m, "--prompt", "x", "--granularity", "layer", "--out", t.toString()).code());
    }
}
