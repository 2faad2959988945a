package dev.opg.core.generate;

import dev.opg.core.Digest;
import dev.opg.core.LimitExceededException;
import dev.opg.core.MalformedInputException;
import dev.opg.core.merkle.AppendOnlyTree;
import dev.opg.core.profile.DeterminismProfile;
import dev.opg.core.transcript.Step;
import dev.opg.core.transcript.TranscriptLimits;
import java.util.ArrayList;
import java.util.List;

/**
 * A transcript of one text generation (spec section 3.16): the RFC 9162 root over
 * {@code [header, segment 0 (steps..., token record), segment 1, ..., end]}, one segment per
 * generated token, the prefill first. Immutable and validated: a FULL transcript holds every leaf
 * and its root is recomputed here; a COMPACT one holds the tokens and their sketches, the leaf
 * count and the root it claims, which only re-execution (or a dispute) can check.
 */
public final class GenerationTranscript {
    private final Commitment commitment;
    private final GenerationHeader header;
    private final DeterminismProfile profile;
    private final List<Segment> segments;
    private final List<Integer> tokens;
    private final List<short[]> sketches;
    private final GenerationEnd end;
    private final Digest root;
    private final long leafCount;

    private GenerationTranscript(Commitment commitment, GenerationHeader header, DeterminismProfile profile, List<Segment> segments,
            List<Integer> tokens, List<short[]> sketches, GenerationEnd end, Digest root, long leafCount) {
        this.commitment = commitment;
        this.header = header;
        this.profile = profile;
        this.segments = segments;
        this.tokens = tokens;
        this.sketches = sketches;
        this.end = end;
        this.root = root;
        this.leafCount = leafCount;
    }

    /**
     * A FULL transcript; its root is computed here.
     *
     * @throws MalformedInputException where the parts disagree (profile digest, token indices and positions, counts, sketch sizes)
     */
    public static GenerationTranscript full(GenerationHeader header, DeterminismProfile profile, List<Segment> segments, GenerationEnd end) {
        checkCommon(header, profile, end, segments == null ? -1 : segments.size());
        List<Integer> tokens = new ArrayList<>(segments.size());
        List<short[]> sketches = new ArrayList<>(segments.size());
        AppendOnlyTree tree = new AppendOnlyTree();
        tree.append(header.leafData());
        long leaves = 1;
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            TokenRecord r = s.record();
            if (r.index() != i || r.position() != header.position(i)) {
                throw new MalformedInputException("segment " + i + " records token index " + r.index() + " at position " + r.position()
                        + "; expected index " + i + " at position " + header.position(i) + " (prompt length + index)");
            }
            if (r.sketch().length != header.sketchDimension()) {
                throw new MalformedInputException("token " + i + " has a sketch of " + r.sketch().length + " values; the header says "
                        + header.sketchDimension());
            }
            leaves += s.leafCount();
            if (leaves + 1 > TranscriptLimits.MAX_STEPS) {
                throw new LimitExceededException("the generation transcript has more than " + TranscriptLimits.MAX_STEPS + " leaves");
            }
            for (Step st : s.steps()) {
                tree.append(st.leafData());
            }
            tree.append(r.leafData());
            tokens.add(r.token());
            sketches.add(r.sketch());
        }
        tree.append(end.leafData());
        return new GenerationTranscript(Commitment.FULL, header, profile, List.copyOf(segments), List.copyOf(tokens),
                List.copyOf(sketches), end, tree.root(), tree.size());
    }

    /**
     * A FULL transcript whose leaves {@code tree} already holds, in order (the generator's own
     * stream tree): checked as {@link #full} checks, without hashing every leaf again.
     */
    static GenerationTranscript fromTree(GenerationHeader header, DeterminismProfile profile, List<Segment> segments, GenerationEnd end,
            AppendOnlyTree tree) {
        checkCommon(header, profile, end, segments.size());
        long leaves = 2;
        List<Integer> tokens = new ArrayList<>(segments.size());
        List<short[]> sketches = new ArrayList<>(segments.size());
        for (int i = 0; i < segments.size(); i++) {
            TokenRecord r = segments.get(i).record();
            if (r.index() != i || r.position() != header.position(i) || r.sketch().length != header.sketchDimension()) {
                throw new MalformedInputException("segment " + i + " does not fit the header");
            }
            leaves += segments.get(i).leafCount();
            tokens.add(r.token());
            sketches.add(r.sketch());
        }
        if (leaves != tree.size()) {
            throw new IllegalStateException("the stream tree holds " + tree.size() + " leaves; the segments make " + leaves);
        }
        return new GenerationTranscript(Commitment.FULL, header, profile, List.copyOf(segments), List.copyOf(tokens), List.copyOf(sketches),
                end, tree.root(), tree.size());
    }

    /** A COMPACT transcript: the root and leaf count as claimed, the tokens and their sketches. */
    public static GenerationTranscript compact(GenerationHeader header, DeterminismProfile profile, List<Integer> tokens,
            List<short[]> sketches, GenerationEnd end, Digest root, long leafCount) {
        checkCommon(header, profile, end, tokens == null ? -1 : tokens.size());
        if (sketches == null || sketches.size() != tokens.size() || root == null) {
            throw new MalformedInputException("a compact generation needs one sketch per token and a root");
        }
        for (int i = 0; i < sketches.size(); i++) {
            if (sketches.get(i) == null || sketches.get(i).length != header.sketchDimension()) {
                throw new MalformedInputException("token " + i + " has a sketch of " + (sketches.get(i) == null ? 0 : sketches.get(i).length)
                        + " values; the header says " + header.sketchDimension());
            }
        }
        for (Integer t : tokens) {
            if (t == null || t < 0) {
                throw new MalformedInputException("token " + t + " is not a token id");
            }
        }
        // header + per token at least its record + end
        if (leafCount < tokens.size() + 2L || leafCount > TranscriptLimits.MAX_STEPS) {
            throw new MalformedInputException("a generation of " + tokens.size() + " tokens has at least " + (tokens.size() + 2)
                    + " and at most " + TranscriptLimits.MAX_STEPS + " leaves; the file says " + leafCount);
        }
        List<short[]> sk = new ArrayList<>();
        sketches.forEach(s -> sk.add(s.clone()));
        return new GenerationTranscript(Commitment.COMPACT, header, profile, List.of(), List.copyOf(tokens), List.copyOf(sk), end, root,
                leafCount);
    }

    private static void checkCommon(GenerationHeader header, DeterminismProfile profile, GenerationEnd end, int count) {
        if (header == null || profile == null || end == null || count < 0) {
            throw new MalformedInputException("a generation transcript needs a header, a profile, its tokens and an end");
        }
        if (!profile.digest().equals(header.profileDigest())) {
            throw new MalformedInputException("the profile's digest " + profile.digest().hex() + " differs from the header's "
                    + header.profileDigest().hex());
        }
        if (end.count() != count) {
            throw new MalformedInputException("the end leaf counts " + end.count() + " tokens; the transcript holds " + count);
        }
        if (count > header.sampling().maxNewTokens()) {
            throw new MalformedInputException(count + " tokens exceed the committed limit of " + header.sampling().maxNewTokens());
        }
    }

    /** The same generation as a COMPACT transcript (same root). */
    public GenerationTranscript toCompact() {
        return new GenerationTranscript(Commitment.COMPACT, header, profile, List.of(), tokens, sketches, end, root, leafCount);
    }

    public Commitment commitment() {
        return commitment;
    }

    public GenerationHeader header() {
        return header;
    }

    public DeterminismProfile profile() {
        return profile;
    }

    /** The segments (FULL only; empty for COMPACT). */
    public List<Segment> segments() {
        return segments;
    }

    /** The generated tokens, the stop token included where the generation stopped at one. */
    public List<Integer> tokens() {
        return tokens;
    }

    /** The logit sketch of each token (float16 bits). */
    public short[] sketch(int index) {
        return sketches.get(index).clone();
    }

    public GenerationEnd end() {
        return end;
    }

    public Digest root() {
        return root;
    }

    public long leafCount() {
        return leafCount;
    }

    /** Every leaf's data in order (FULL only). */
    public List<byte[]> leaves() {
        if (commitment != Commitment.FULL) {
            throw new MalformedInputException("a compact generation holds no leaves; re-execute it to get them");
        }
        List<byte[]> l = new ArrayList<>();
        l.add(header.leafData());
        for (Segment s : segments) {
            s.steps().forEach(st -> l.add(st.leafData()));
            l.add(s.record().leafData());
        }
        l.add(end.leafData());
        return l;
    }

    /** The leaf index of token {@code t}'s record (FULL). */
    public int recordLeaf(int t) {
        int at = 1;
        for (int i = 0; i < t; i++) {
            at += segments.get(i).leafCount();
        }
        return at + segments.get(t).steps().size();
    }

    @Override
    public String toString() {
        return "GenerationTranscript[" + commitment.specName() + ", tokens=" + tokens.size() + ", stop=" + end.reason().specName()
                + ", root=" + root.hex() + "]";
    }
}
