package dev.opg.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.opg.core.transcript.Granularity;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hashing token t on a thread of its own while token t+1's forward pass runs changes nothing a
 * transcript, a stream or a witness holds, and a failure there reaches the caller as itself with
 * no thread left behind.
 */
class PipelinedGenerationTest {
    private static DecoderModel model;

    @BeforeAll
    static void open() {
        model = KjvGpt.open();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static SamplingParams sampled(long seed, int n, List<Integer> stop) {
        return new SamplingParams(0.8f, 40, 0.95f, seed, n, stop);
    }

    @Test
    void pipelinedAndSequentialGenerationWriteTheSameBytesStreamsAndWitness() {
        Generator seq = new Generator(model, false);
        Generator pipe = new Generator(model, true);
        pipe.probeWindow = 0; // the lane's thread from the first token
        Generator probing = new Generator(model, true); // inline, then the thread, then the faster of the two
        probing.probeWindow = 4;
        record Case(Granularity g, SamplingParams s) {}
        List<Case> cases = List.of(new Case(Granularity.BLOCK, sampled(11, 40, List.of())), new Case(Granularity.BLOCK, sampled(3, 40, List.of(0))),
                new Case(Granularity.OUTPUT, sampled(5, 24, List.of())), new Case(Granularity.NODE, sampled(7, 6, List.of())),
                new Case(Granularity.BLOCK, SamplingParams.greedy(1, List.of())), new Case(Granularity.BLOCK, SamplingParams.greedy(2, List.of())));
        for (Case c : cases) {
            GenerationRequest r = GenerationRequest.of("And God said", c.s).at(c.g);
            List<StreamUpdate> a = new ArrayList<>();
            List<StreamUpdate> b = new ArrayList<>();
            GenerationTranscript ta = seq.generate(r, a::add);
            KvWitness wa = seq.lastWitness();
            GenerationTranscript tb = pipe.generate(r, b::add);
            KvWitness wb = pipe.lastWitness();
            String what = c.g.specName() + " seed " + c.s.seed() + " max " + c.s.maxNewTokens();
            assertArrayEquals(GenerationCodec.encode(ta), GenerationCodec.encode(tb), what);
            List<StreamUpdate> p = new ArrayList<>();
            assertArrayEquals(GenerationCodec.encode(ta), GenerationCodec.encode(probing.generate(r, p::add)), what + ", probing");
            assertEquals(a.stream().map(StreamUpdate::root).toList(), p.stream().map(StreamUpdate::root).toList(), what + ", probing");
            assertArrayEquals(wa.encode(), wb.encode(), what);
            assertEquals(a.size(), b.size(), what);
            for (int i = 0; i < a.size(); i++) {
                StreamUpdate x = a.get(i);
                StreamUpdate y = b.get(i);
                assertEquals(x.index(), y.index(), what);
                assertEquals(x.token(), y.token(), what);
                assertEquals(x.piece(), y.piece(), what);
                assertArrayEquals(x.leaf(), y.leaf(), what);
                assertEquals(x.leafIndex(), y.leafIndex(), what);
                assertEquals(x.size(), y.size(), what);
                assertEquals(x.root(), y.root(), what);
                assertEquals(x.consistency(), y.consistency(), what);
                assertEquals(x.inclusion(), y.inclusion(), what);
            }
            // and a consumer accepts the pipelined stream, in order, ending at the transcript root
            StreamConsumer consumer = new StreamConsumer(tb.header());
            b.forEach(consumer::accept);
            assertTrue(consumer.ended(), what);
            assertEquals(tb.root(), consumer.root(), what);
        }
        // a generation that moves its hashing to the calling thread half way (a busy machine) writes the same bytes
        Generator switching = new Generator(model, true);
        switching.probeWindow = 0;
        switching.inlineFrom = 9;
        for (Granularity g : List.of(Granularity.BLOCK, Granularity.OUTPUT)) {
            GenerationRequest r = GenerationRequest.of("And God said", sampled(13, 30, List.of())).at(g);
            List<StreamUpdate> a = new ArrayList<>();
            List<StreamUpdate> b = new ArrayList<>();
            byte[] want = GenerationCodec.encode(seq.generate(r, a::add));
            assertArrayEquals(want, GenerationCodec.encode(switching.generate(r, b::add)), g.specName());
            assertEquals(a.stream().map(StreamUpdate::root).toList(), b.stream().map(StreamUpdate::root).toList());
            assertEquals(a.stream().map(StreamUpdate::index).toList(), b.stream().map(StreamUpdate::index).toList());
        }
        // exact replay (the verifier's path) pipelined gives the same transcript too
        GenerationTranscript t = seq.generate(GenerationRequest.of("And Abraham", sampled(9, 20, List.of())), null);
        assertArrayEquals(GenerationCodec.encode(t), GenerationCodec.encode(pipe.replay(t.header(), null)));
        assertNoLaneThread();
    }

    @Test
    void aFailureWhileHashingReachesTheCallerAsItselfAndStopsTheLane() {
        Generator pipe = new Generator(model, true);
        pipe.probeWindow = 0;
        GenerationException boom = new GenerationException("hashing failed at token 5");
        AtomicInteger highest = new AtomicInteger(-1);
        pipe.beforeRecord = t -> {
            highest.accumulateAndGet(t, Math::max);
            if (t == 5) {
                throw boom;
            }
        };
        List<StreamUpdate> got = new ArrayList<>();
        GenerationException e = assertThrows(GenerationException.class,
                () -> pipe.generate(GenerationRequest.of("And God said", sampled(11, 40, List.of())), got::add));
        assertSame(boom, e);
        assertEquals(5, highest.get(), "no token after the failed one is hashed");
        assertTrue(got.size() <= 5, "only tokens hashed before the failure are streamed: " + got.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i, got.get(i).index());
        }
        assertNoLaneThread();
        // an unchecked exception of another type is not wrapped either
        IllegalStateException other = new IllegalStateException("not a generation exception");
        pipe.beforeRecord = t -> {
            if (t == 0) {
                throw other;
            }
        };
        assertSame(other, assertThrows(IllegalStateException.class,
                () -> pipe.generate(GenerationRequest.of("And God said", sampled(11, 8, List.of())), null)));
        assertNoLaneThread();
        // the generator works again afterwards
        pipe.beforeRecord = t -> {};
        assertEquals(8, pipe.generate(GenerationRequest.of("And God said", sampled(11, 8, List.of())), null).tokens().size());
        assertNoLaneThread();
    }

    @Test
    void aFailureOnTheCallersSideStopsTheLaneBeforeTheTensorsAreFreed() {
        Generator pipe = new Generator(model, true);
        pipe.probeWindow = 0;
        AtomicBoolean hashing = new AtomicBoolean();
        AtomicInteger hashedAfterFailure = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        pipe.beforeRecord = t -> {
            if (failed.get()) {
                hashedAfterFailure.incrementAndGet();
            }
            hashing.set(true);
            try {
                Thread.sleep(2); // slower hashing than the pass: the lane is busy when the listener fails
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            hashing.set(false);
        };
        RuntimeException listenerFailure = new UnsupportedOperationException("the consumer went away");
        assertSame(listenerFailure, assertThrows(UnsupportedOperationException.class,
                () -> pipe.generate(GenerationRequest.of("And God said", sampled(11, 40, List.of())), u -> {
                    if (u.index() == 3) {
                        failed.set(true);
                        throw listenerFailure;
                    }
                })));
        assertFalse(hashing.get(), "generate returned while a token was still being hashed");
        assertTrue(hashedAfterFailure.get() <= 1, "at most the token already running is hashed after the failure");
        assertNoLaneThread();
    }

    @Test
    void aGenerationHashesInlineThenOnTheLaneThenWhereItMeasuredTheCallerFaster() {
        Generator g = new Generator(model, true);
        int w = 8;
        g.probeWindow = w;
        List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        g.beforeRecord = t -> threads.add(Thread.currentThread().getName());
        String caller = Thread.currentThread().getName();
        int n = 2 * w + 12;
        g.generate(GenerationRequest.of("And God said", sampled(17, n, List.of())), null);
        assertEquals(n, threads.size());
        Generator.Probe p = g.lastProbe;
        assertEquals(caller, threads.get(0), "the prefill is hashed inline");
        List<String> lanes = new ArrayList<>();
        for (int t = 1; t <= 2 * w; t++) {
            // runs of w / 4 tokens alternate: inline, then the lane's (a job its thread has not taken when the caller needs it is
            // run by the caller), then inline again, ...
            assertEquals(((t - 1) / (w / 4)) % 2 == 1, p.threaded(t), "token " + t);
            if (p.threaded(t)) {
                lanes.add(threads.get(t));
            } else {
                assertEquals(caller, threads.get(t), "token " + t + " of an inline run is hashed inline");
            }
        }
        assertEquals(w, lanes.size());
        assertTrue(lanes.stream().anyMatch(x -> x.startsWith(HashingLane.THREAD_PREFIX)), threads.toString());
        if (!p.threadedIsFaster()) {
            for (int t = 2 * w + 1; t < n; t++) {
                assertEquals(caller, threads.get(t), "inline measured faster: token " + t + " is hashed inline");
            }
        }
        System.out.println("probe: " + p.inlineMicros() + " us a token inline, " + p.threadedMicros() + " us on the lane");
        assertNoLaneThread();
        // a generation that ends before the probe's first threaded run (tokens 0 .. w / 4) never starts the lane's thread
        threads.clear();
        assertEquals(1 + w / 4, p.threadedFrom());
        g.generate(GenerationRequest.of("And God said", sampled(17, p.threadedFrom(), List.of())), null);
        assertEquals(p.threadedFrom(), threads.size());
        assertTrue(threads.stream().allMatch(caller::equals), threads.toString());
        assertNoLaneThread();
    }

    @Test
    void theProbeKeepsTheFasterPlaceByTheMedians() {
        Generator.Probe p = new Generator.Probe(8); // runs of 2: tokens 1-2 inline, 3-4 threaded, 5-6 inline, ...
        long[] inline = {300, 310, 290, 5_000, 305, 295, 300, 310};
        long[] threaded = {280, 290, 9_000, 285, 8_000, 280, 9_500, 275}; // three bursts of another process do not decide
        int in = 0;
        int th = 0;
        for (int t = 1; t <= 16; t++) {
            p.token(t, p.threaded(t) ? threaded[th++] : inline[in++]);
        }
        assertEquals(8, in);
        assertEquals(8, th);
        assertTrue(p.threadedIsFaster());
        Generator.Probe q = new Generator.Probe(8);
        for (int t = 1; t <= 16; t++) {
            // a drift along the generation (each token 10 later than the one before) does not decide: it hits both alike
            q.token(t, (q.threaded(t) ? 330 : 300) + 10L * t);
        }
        assertFalse(q.threadedIsFaster());
        Generator.Probe r = new Generator.Probe(8);
        for (int t = 1; t <= 16; t++) {
            r.token(t, (r.threaded(t) ? 270 : 300) + 10L * t); // the same drift; the thread 30 cheaper a token
        }
        assertTrue(r.threadedIsFaster(), "a drift that would have favoured whichever window came first does not decide");
        assertEquals(List.of(false, false, true, true, false, false, true, true), java.util.stream.IntStream.rangeClosed(1, 8)
                .mapToObj(q::threaded).toList());
        assertEquals(3, q.threadedFrom());
        assertEquals(17, q.decidedAt());
        assertFalse(q.times(0), "the prefill is not timed");
        assertTrue(q.times(16));
        assertFalse(q.times(17));
    }

    @Test
    void aKeptThreadIsReCheckedAndDroppedWhenInlineTurnsOutCheaper() {
        for (boolean slowLane : new boolean[] {true, false}) {
            Generator.Probe p = new Generator.Probe(8); // runs of 2; decided at token 17; a re-check run every 16 tokens after
            for (int t = 1; t < p.decidedAt(); t++) {
                assertTrue(p.times(t));
                p.token(t, p.threaded(t) ? 280 : 300); // the thread measured cheaper: kept
            }
            assertTrue(p.decide());
            int recheckEnd = p.decidedAt() + p.period() - 1; // tokens 31-32 are the first re-check, inline
            for (int t = p.decidedAt(); t <= recheckEnd; t++) {
                assertTrue(p.times(t), "token " + t + " is timed while the thread is kept");
                assertEquals(t < recheckEnd - 1, p.threaded(t), "token " + t);
                // later in the generation the lane's tokens cost 500 (another process took the second core), or still 280
                p.token(t, p.threaded(t) ? (slowLane ? 500 : 280) : 300);
                boolean dropped = p.recheckSaysInline(t);
                assertEquals(slowLane && t == recheckEnd, dropped, "token " + t + ", slow lane " + slowLane);
            }
            assertEquals(!slowLane, p.times(recheckEnd + 1), "a dropped thread ends the probe; a kept one is re-checked again");
            if (!slowLane) {
                assertTrue(p.threaded(recheckEnd + 1), "the kept thread hashes again after the re-check");
            }
        }
        Generator.Probe q = new Generator.Probe(8);
        for (int t = 1; t < q.decidedAt(); t++) {
            q.token(t, q.threaded(t) ? 330 : 300); // 10% dearer on the thread: not enough to stop early
            assertFalse(q.lostEarly(t), "token " + t);
        }
        assertFalse(q.decide(), "inline measured cheaper");
        assertFalse(q.times(q.decidedAt() + 1), "nothing is timed once the generation hashes inline");
        Generator.Probe e = new Generator.Probe(8); // runs of 2; the first token of each is not timed
        for (int t = 1; t < e.decidedAt(); t++) {
            if (!e.times(t)) {
                assertTrue(t > 12, "the probe ended early at token 12, not before");
                continue;
            }
            e.token(t, e.threaded(t) ? 400 : 300); // a third dearer on the thread
            // three timed tokens each (2, 6, 10 inline; 4, 8, 12 threaded) before it may stop, at the end of a threaded run
            assertEquals(t == 12, e.lostEarly(t), "token " + t);
        }
        assertFalse(e.times(e.decidedAt()));
    }

    @Test
    void theLaneHandsResultsBackInOrderAndCloseWaitsForTheRunningJob() throws Exception {
        try (HashingLane<Integer> lane = new HashingLane<>(true)) {
            for (int i = 0; i < 200; i++) {
                int v = i;
                lane.submit(() -> v);
                if ((i & 1) == 0) {
                    Thread.sleep(0, 200_000); // sometimes the lane's thread takes the job, sometimes next() runs it
                }
                assertEquals(i, lane.next());
            }
            assertThrows(IllegalStateException.class, lane::next, "nothing pending");
            lane.submit(() -> 1);
            assertThrows(IllegalStateException.class, () -> lane.submit(() -> 2), "one job at a time");
            assertEquals(1, lane.next());
        }
        AtomicBoolean finished = new AtomicBoolean();
        try (HashingLane<Integer> lane = new HashingLane<>(true)) {
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
            lane.submit(() -> {
                started.countDown();
                long end = System.nanoTime() + 200_000_000L;
                while (System.nanoTime() < end) {
                    Thread.onSpinWait(); // hashing is computation: nothing to interrupt
                }
                finished.set(true);
                return 0;
            });
            assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertTrue(finished.get(), "close returned before the running job ended");
        assertNoLaneThread();
        // checked exceptions are wrapped in the typed one, with the cause kept; unchecked ones are thrown as they are
        try (HashingLane<Integer> lane = new HashingLane<>(true)) {
            java.io.IOException io = new java.io.IOException("disk");
            lane.submit(() -> {
                throw io;
            });
            GenerationException e = assertThrows(GenerationException.class, lane::next);
            assertSame(io, e.getCause());
        }
        // a failed job the caller never took back (the caller failed first) is not lost: close throws it, and
        // try-with-resources adds it to the caller's exception
        IllegalStateException callerFailure = new IllegalStateException("the caller failed");
        IllegalArgumentException jobFailure = new IllegalArgumentException("the job failed");
        IllegalStateException seen = assertThrows(IllegalStateException.class, () -> {
            try (HashingLane<Integer> lane = new HashingLane<>(true)) {
                java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
                lane.submit(() -> {
                    done.countDown();
                    throw jobFailure;
                });
                // the lane's thread took the job; close() waits for that thread, so the job has failed when close looks
                assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS));
                throw callerFailure;
            }
        });
        assertSame(callerFailure, seen);
        assertEquals(List.of(jobFailure), List.of(seen.getSuppressed()));
        try (HashingLane<Integer> lane = new HashingLane<>(false)) {
            IllegalArgumentException bad = new IllegalArgumentException("inline");
            assertSame(bad, assertThrows(IllegalArgumentException.class, () -> lane.submit(() -> {
                throw bad;
            })));
        }
        assertNoLaneThread();
    }

    /** No lane thread is left (a thread that has been told to end may take a moment to exit). */
    static void assertNoLaneThread() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<String> left;
        do {
            left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                    .filter(n -> n.startsWith(HashingLane.THREAD_PREFIX)).toList();
            if (left.isEmpty()) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("hashing threads left running: " + left);
    }
}
