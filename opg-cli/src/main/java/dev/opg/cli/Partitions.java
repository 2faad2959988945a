package dev.opg.cli;

import ai.djl.ndarray.NDList;
import dev.opg.core.model.LoadedModel;
import dev.opg.core.djl.RecordingOptions;
import dev.opg.core.djl.VerifiableModel;
import dev.opg.core.transcript.Blocks;
import dev.opg.core.transcript.Granularity;
import dev.opg.core.transcript.PartitionException;
import dev.opg.core.transcript.StepPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --granularity} and {@code --partition} of {@code opg prove}: parsed into
 * {@link RecordingOptions}, and a partition the model does not have on an input explained by
 * naming the cut at fault and a few node steps a block can start at.
 */
final class Partitions {
    /** How many node step names a message lists. */
    static final int SHOWN = 5;

    private Partitions() {}

    /**
     * {@code options} at the granularity named by {@code granularity} ({@code node}, {@code block}
     * or {@code output}) with the cuts of {@code partition} (comma-separated node step names; null
     * for the model's default partition).
     *
     * @throws CliException (usage) for an unknown granularity, a partition with another
     *     granularity than block, or an empty or repeated cut
     */
    static RecordingOptions apply(RecordingOptions options, String granularity, String partition) {
        Granularity g = granularityOf(granularity);
        if (partition == null) {
            return options.at(g);
        }
        if (g != Granularity.BLOCK) {
            throw CliException.usage("--partition sets where blocks start, so it takes --granularity block; got --granularity "
                    + g.specName() + (g == Granularity.OUTPUT ? " (one block of the whole model: no cuts)" : " (every node step is a step)"));
        }
        List<String> cuts = cuts(partition);
        return options.partition(cuts);
    }

    static Granularity granularityOf(String s) {
        String n = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
        for (Granularity g : Granularity.values()) {
            if (g.specName().equals(n)) {
                return g;
            }
        }
        throw CliException.usage("--granularity must be node, block or output; got '" + s + "'");
    }

    /** The cut list of {@code --partition}: node step names separated by commas, each non-empty, none twice. */
    static List<String> cuts(String partition) {
        if (partition.isEmpty()) {
            throw CliException.usage("--partition needs at least one node step name (where block 2 starts); "
                    + "for one block of the whole model use --granularity output");
        }
        List<String> cuts = new ArrayList<>();
        for (String c : partition.split(",", -1)) {
            if (c.isEmpty()) {
                throw CliException.usage("--partition '" + partition + "' has an empty cut; separate node step names with single commas");
            }
            if (cuts.contains(c)) {
                throw CliException.usage("--partition names '" + c + "' twice; a block starts at a node step once");
            }
            cuts.add(c);
        }
        return List.copyOf(cuts);
    }

    /**
     * What to report when recording {@code x} failed with {@code e}: for an explicit partition
     * that the model does not have on {@code x}, a usage error naming the cut at fault and listing
     * node steps a block can start at; else {@code e} itself.
     */
    static RuntimeException explain(LoadedModel m, NDList x, Path input, PartitionException e) {
        List<String> cuts = m.verifiable().options().cuts();
        if (cuts == null) {
            return e;
        }
        try (VerifiableModel nodes = VerifiableModel.wrap(m.model(), m.verifiable().profile(),
                RecordingOptions.full().at(Granularity.NODE))) {
            StepPlan plan = nodes.runner().plan(x);
            List<String> defaults;
            try {
                defaults = nodes.runner().defaultCuts(plan);
            } catch (RuntimeException ignored) {
                defaults = List.of();
            }
            String why = problem(plan, cuts, defaults);
            return why == null ? e : CliException.usage("--partition: " + why + " (on " + input.getFileName() + ")");
        } catch (RuntimeException other) {
            return e; // the model cannot plan this input at all: the original error says why
        }
    }

    /**
     * The first cut of {@code cuts} that is not a node step of {@code plan} a block can start at,
     * or does not come after the cut before it, described with a few valid names; null when the
     * cuts are a partition of the plan.
     */
    static String problem(StepPlan plan, List<String> cuts, List<String> defaults) {
        Blocks all = Blocks.of(plan, Granularity.OUTPUT, List.of());
        List<String> startable = new ArrayList<>();
        Map<String, Integer> position = new HashMap<>();
        for (int j = 0; j < plan.steps().size(); j++) {
            if (!all.hoisted(j)) {
                position.put(plan.steps().get(j).name(), startable.size());
                startable.add(plan.steps().get(j).name());
            }
        }
        String dflt = defaults.isEmpty() ? "" : "; the model's own partition on this input starts blocks at " + list(defaults);
        int previous = 0;
        String previousName = null;
        for (String c : cuts) {
            Integer q = position.get(c);
            if (q == null) {
                boolean constant = plan.steps().stream().anyMatch(s -> s.name().equals(c));
                return "cut '" + c + "' is " + (constant ? "a constant the model id fixes, which belongs to no block"
                        : "not a node step of the model") + "; node steps a block can start at include " + list(near(startable, c))
                        + " (" + startable.size() + " in all; `opg prove --granularity node` then `opg inspect --all` lists "
                        + "every node step in execution order)" + dflt;
            }
            if (q == 0) {
                return "cut '" + c + "' is the first node step, where block 1 starts anyway; cuts name where blocks 2, 3, ... start"
                        + dflt;
            }
            if (q <= previous) {
                List<String> after = startable.subList(previous + 1, Math.min(startable.size(), previous + 1 + SHOWN));
                return "cut '" + c + "' (node step " + q + ") does not come after the cut before it, '" + previousName + "' (node step "
                        + previous + "); cuts go in execution order" + (after.isEmpty() ? ", and no node step follows '" + previousName + "'"
                        : "; node steps after '" + previousName + "' include " + list(after)) + dflt;
            }
            previous = q;
            previousName = c;
        }
        return null;
    }

    /** Up to {@link #SHOWN} names of {@code names} sharing the longest prefix with {@code c}, in their order. */
    static List<String> near(List<String> names, String c) {
        int best = 0;
        for (String n : names) {
            best = Math.max(best, commonPrefix(n, c));
        }
        List<String> out = new ArrayList<>();
        for (int len = best; len >= 0 && out.size() < SHOWN; len--) {
            for (String n : names) {
                if (out.size() < SHOWN && commonPrefix(n, c) == len && !out.contains(n)) {
                    out.add(n);
                }
            }
            if (len > 0 && !out.isEmpty()) {
                break; // only names as close as the closest
            }
        }
        return out;
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }

    private static String list(List<String> names) {
        List<String> shown = names.subList(0, Math.min(SHOWN, names.size()));
        StringBuilder b = new StringBuilder();
        for (String n : shown) {
            b.append(b.length() == 0 ? "" : ", ").append('\'').append(n).append('\'');
        }
        return b + (names.size() > shown.size() ? ", ..." : "");
    }
}
