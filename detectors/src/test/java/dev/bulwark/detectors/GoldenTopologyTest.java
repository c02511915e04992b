package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;

import dev.bulwark.detection.DetectionTopology;
import dev.bulwark.detection.Detectors;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The shipped detection topology (every detector found by {@link Detectors#discover()}, default settings, prefix
 * {@code bulwark.}) against the golden description in {@value #GOLDEN}.
 *
 * <p>Why: processor, store and internal topic names are part of a running deployment's state. Renaming a store or a
 * repartition topic, or adding an operator without a name before a named one, silently orphans changelogs and
 * repartition topics on upgrade; this test makes every such change a visible diff in review. Regenerate the file
 * after an intended change with {@code -D}{@value #UPDATE}{@code =true} (see {@link #regenerateHint()}).
 */
class GoldenTopologyTest {

    /** The golden description, relative to the module directory (Surefire's working directory). */
    static final String GOLDEN = "src/test/resources/golden/detection-topology.txt";
    /** System property that rewrites the golden file instead of comparing. */
    static final String UPDATE = "bulwark.golden.update";

    /** Every state store of the shipped topology: a rename loses the store's state. */
    static final Set<String> STATE_STORES = Set.of(
            "enrich-pending",
            "context-history-last",
            "exec-session-processes",
            "exec-session-pending",
            "entity-risk",
            "incident-entities",
            "incidents",
            "behaviour-baseline-profiles",
            "cross-tenant-access-probing",
            "rbac-drift-namespace-tenants",
            "sigma-rule-rejections",
            "sigma-fold",
            "sigma-fold-dirty",
            "sigma-correlation-windows",
            "sigma-correlation-fold",
            "sigma-correlation-fold-dirty",
            "vulnerable-image-running-image-risks",
            "vulnerable-image-running-reported",
            "unverified-image-running-verdicts",
            "unverified-image-running-pending",
            "unverified-image-running-judged",
            "image-digest-drift-known-digests",
            "posture-reports",
            "posture-unverified",
            "posture-last");

    /** Global stores (rebuilt from their source topic; no changelog). */
    static final Set<String> GLOBAL_STORES = Set.of("tenant-directory", "sigma-rules", "rule-overrides",
            "exec-sessions");

    /** Repartition topics, without the {@code <application.id>-} prefix Kafka Streams puts in front. */
    static final Set<String> REPARTITION_TOPICS = Set.of(
            "risk-by-entity-repartition",
            "incidents-repartition",
            "behaviour-baseline-by-image-repartition",
            "cross-tenant-access-denied-by-identity-repartition",
            "sigma-fold-repartition",
            "sigma-correlation-repartition",
            "vulnerable-image-running-scans-by-image-repartition",
            "vulnerable-image-running-running-with-risk-repartition",
            "unverified-image-running-verdicts-repartition",
            "unverified-image-running-with-verdict-repartition",
            "image-digest-drift-vouched-by-tag-repartition",
            "image-digest-drift-with-known-repartition",
            "posture-repartition");

    /** The topics the topology reads and writes (prefix {@code bulwark.}). */
    static final Set<String> EXTERNAL_TOPICS = Set.of("bulwark.events", "bulwark.context", "bulwark.context-directory",
            "bulwark.context-history", "bulwark.exec-sessions", "bulwark.entity-risk", "bulwark.incidents",
            "bulwark.compliance", "bulwark.rule-overrides",
            "bulwark.rules", "bulwark.findings", "bulwark.dlq");

    static Topology shippedTopology() {
        return DetectionTopology.build(Topics.withPrefix("bulwark."), Detectors.discover(), TenantResolver.none(),
                Map.of(), new SimpleMeterRegistry());
    }

    /** The description as committed: {@code describe().toString()} with Unix line ends and one final newline. */
    static String describe() {
        return shippedTopology().describe().toString().replace("\r\n", "\n").stripTrailing() + "\n";
    }

    @Test
    void theDescriptionIsTheSameEveryTimeTheTopologyIsBuilt() {
        String first = describe();
        String second = describe();
        assertThat(second).as("two builds in one JVM must describe the same topology").isEqualTo(first);
    }

    @Test
    void theShippedTopologyMatchesTheGoldenDescription() throws IOException {
        Path golden = Path.of(GOLDEN);
        String current = describe();
        if (Boolean.getBoolean(UPDATE)) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, current, StandardCharsets.UTF_8);
        }
        if (!Files.exists(golden)) {
            fail("No golden topology file " + golden.toAbsolutePath() + ". " + regenerateHint());
        }
        String expected = Files.readString(golden, StandardCharsets.UTF_8).replace("\r\n", "\n");
        if (!expected.equals(current)) {
            fail("The detection topology no longer matches " + GOLDEN + ".\n" + diff(expected, current)
                    + "\nA renamed or added processor, store or internal topic changes what a running deployment has "
                    + "on disk and on the broker: renamed stores and repartition topics start empty. If the change is "
                    + "intended, " + regenerateHint());
        }
    }

    @Test
    void stateStoresAreNamedAsShipped() {
        TopologyDescription description = shippedTopology().describe();
        assertThat(stores(description)).as("state stores of the sub-topologies (each has a changelog)")
                .containsExactlyInAnyOrderElementsOf(STATE_STORES);
        assertThat(globalStores(description)).as("global stores").containsExactlyInAnyOrderElementsOf(GLOBAL_STORES);
    }

    @Test
    void internalTopicsAreNamedAsShipped() {
        TopologyDescription description = shippedTopology().describe();
        assertThat(repartitionTopics(description)).as("repartition topics")
                .containsExactlyInAnyOrderElementsOf(REPARTITION_TOPICS);
        assertThat(changelogTopics(description)).as("changelog topics: <store>-changelog for every sub-topology store")
                .containsExactlyInAnyOrderElementsOf(STATE_STORES.stream().map(s -> s + "-changelog").toList());
        Set<String> external = new TreeSet<>(topics(description));
        external.removeAll(REPARTITION_TOPICS);
        assertThat(external).as("input and output topics").containsExactlyInAnyOrderElementsOf(EXTERNAL_TOPICS);
    }

    @Test
    void noProcessorStoreOrInternalTopicHasAGeneratedName() {
        TopologyDescription description = shippedTopology().describe();
        Set<String> names = new TreeSet<>(stores(description));
        names.addAll(globalStores(description));
        names.addAll(topics(description));
        for (TopologyDescription.Subtopology subtopology : description.subtopologies()) {
            subtopology.nodes().forEach(node -> names.add(node.name()));
        }
        for (TopologyDescription.GlobalStore store : description.globalStores()) {
            names.add(store.source().name());
            names.add(store.processor().name());
        }
        assertThat(names).as("names").hasSizeGreaterThan(100);
        assertThat(names).as("generated names (KSTREAM-FILTER-0000000012) shift when an operator is added before them")
                .noneMatch(name -> name.matches(".*\\d{10}.*"));
    }

    static String regenerateHint() {
        return "regenerate the golden file and review its diff before committing it:\n  mvn -o test -pl detectors -am "
                + "-Dtest=GoldenTopologyTest -Dsurefire.failIfNoSpecifiedTests=false -D" + UPDATE + "=true\n"
                + "and update the store and topic lists in GoldenTopologyTest (and DetectorScenariosIT checks the "
                + "changelog and repartition topics a real broker gets).";
    }

    /** Stores of the (non-global) sub-topologies. */
    static Set<String> stores(TopologyDescription description) {
        Set<String> stores = new TreeSet<>();
        for (TopologyDescription.Subtopology subtopology : description.subtopologies()) {
            for (TopologyDescription.Node node : subtopology.nodes()) {
                if (node instanceof TopologyDescription.Processor processor) {
                    stores.addAll(processor.stores());
                }
            }
        }
        return stores;
    }

    static Set<String> globalStores(TopologyDescription description) {
        Set<String> stores = new TreeSet<>();
        for (TopologyDescription.GlobalStore store : description.globalStores()) {
            stores.addAll(store.processor().stores());
        }
        return stores;
    }

    /** Every topic a source reads or a sink writes (global store sources included). */
    static Set<String> topics(TopologyDescription description) {
        Set<String> topics = new TreeSet<>();
        for (TopologyDescription.Subtopology subtopology : description.subtopologies()) {
            for (TopologyDescription.Node node : subtopology.nodes()) {
                if (node instanceof TopologyDescription.Source source) {
                    topics.addAll(source.topicSet());
                } else if (node instanceof TopologyDescription.Sink sink && sink.topic() != null) {
                    topics.add(sink.topic());
                }
            }
        }
        for (TopologyDescription.GlobalStore store : description.globalStores()) {
            topics.addAll(store.source().topicSet());
        }
        return topics;
    }

    /** Topics written by one sub-topology and read by another: Kafka Streams' repartition topics. */
    static Set<String> repartitionTopics(TopologyDescription description) {
        Set<String> read = new TreeSet<>();
        Set<String> written = new TreeSet<>();
        for (TopologyDescription.Subtopology subtopology : description.subtopologies()) {
            for (TopologyDescription.Node node : subtopology.nodes()) {
                if (node instanceof TopologyDescription.Source source) {
                    read.addAll(source.topicSet());
                } else if (node instanceof TopologyDescription.Sink sink && sink.topic() != null) {
                    written.add(sink.topic());
                }
            }
        }
        read.retainAll(written);
        read.removeIf(topic -> !topic.endsWith("-repartition"));
        return read;
    }

    /**
     * Changelog topics, without the application id: {@code <store>-changelog} for every store of a sub-topology. This
     * holds because no store of the shipped topology disables logging; DetectorScenariosIT checks it against the topics
     * a real broker gets.
     */
    static Set<String> changelogTopics(TopologyDescription description) {
        Set<String> changelogs = new TreeSet<>();
        stores(description).forEach(store -> changelogs.add(store + "-changelog"));
        return changelogs;
    }

    /** Lines only in the golden file ({@code -}) and only in the current description ({@code +}), in order. */
    static String diff(String expected, String current) {
        List<String> before = expected.lines().toList();
        List<String> after = current.lines().toList();
        Set<String> beforeSet = new LinkedHashSet<>(before);
        Set<String> afterSet = new LinkedHashSet<>(after);
        List<String> out = new ArrayList<>();
        for (String line : before) {
            if (!afterSet.contains(line)) {
                out.add("- " + line);
            }
        }
        for (String line : after) {
            if (!beforeSet.contains(line)) {
                out.add("+ " + line);
            }
        }
        if (out.isEmpty()) {
            out.add("(the same lines in another order or repeated differently)");
        }
        return String.join("\n", out);
    }
}
