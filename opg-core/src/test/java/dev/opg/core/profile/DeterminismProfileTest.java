package dev.opg.core.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.Hex;
import dev.opg.core.LimitExceededException;
import dev.opg.core.transcript.Transcripts;
import org.junit.jupiter.api.Test;

class DeterminismProfileTest {
    @Test
    void everyFieldChangesTheDigest() {
        DeterminismProfile p = Transcripts.profile();
        assertNotEquals(p.digest(), p.withSeed(43).digest());
        assertNotEquals(p.digest(), p.withCpuCapability("default").digest());
        assertNotEquals(p.digest(), p.withThreads(2, 1).digest());
        assertNotEquals(p.digest(), p.withThreads(1, 2).digest());
        assertEquals(p.digest(), Transcripts.profile().digest());
    }

    @Test
    void encodingStartsWithTagAndVersion() {
        String hex = Hex.encode(Transcripts.profile().encode());
        assertTrue(hex.startsWith(Hex.encode("OPG-PROFILE".getBytes()) + "01" + "07000000" + Hex.encode("PyTorch".getBytes())), hex);
    }

    @Test
    void rejectsSeedBeyondTwoToThe53() {
        assertThrows(LimitExceededException.class, () -> Transcripts.profile().withSeed(1L << 53));
        assertThrows(LimitExceededException.class, () -> Transcripts.profile().withThreads(0, 1));
    }
}
