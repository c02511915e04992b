package dev.bulwark.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import dev.bulwark.deploy.LocalStack;
import dev.bulwark.detection.ContextTenantDirectory;
import dev.bulwark.detection.TenantEnricher;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.detectors.container.InteractiveShellInContainerDetector;
import dev.bulwark.detectors.isolation.CrossTenantAccessDetector;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.RecordReader;
import dev.bulwark.ingest.SourceParser;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSearch;

/**
 * {@code bulwark demo}: the whole path on this machine. Brings the local stack up, runs the pipeline, replays the
 * bundled attack scenario, waits until the findings are searchable and prints them.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Bring the local stack up, run the pipeline, replay the bundled attack scenario and show the findings.",
                "The stack keeps running afterwards for ./bulwark findings; stop it with ./bulwark local down."})
final class DemoCommand implements Callable<Integer> {

    /** The bundled scenario: Falco alerts from two tenants' workloads plus deliberately broken records. */
    static final String SCENARIO = "/demo/attack-scenario.falco.ndjson";
    /** Which namespaces belong to which tenant in the scenario. */
    static final Map<String, List<String>> SCENARIO_TENANTS = Map.of(
            "acme", List.of("acme-payments", "acme-web"),
            "globex", List.of("globex-data"));

    @ParentCommand
    BulwarkCommand parent;

    @Option(names = "--timeout", defaultValue = "180", description = "Seconds to wait for findings (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--secure", description = "Run on the secured local stack (local up --secure): TLS, a user per "
            + "component, ACLs and Elasticsearch roles.")
    boolean secure;

    @Override
    public Integer call() throws Exception {
        BulwarkConfig config = parent.config();
        SCENARIO_TENANTS.forEach(config.tenants::putIfAbsent);
        LocalStack stack = parent.localStack(config, "demo");

        BulwarkCommand.say("step 1/4: local stack (Kafka " + stack.kafkaBootstrap() + ", Elasticsearch " + stack.elasticsearchUrl()
                + (secure ? ", secured" : "") + ")");
        if (!secure && stack.healthy()) {
            BulwarkCommand.say("stack already running");
        } else {
            int exit = secure ? stack.run("up", "--secure") : stack.run("up");
            if (exit != 0) {
                throw new IllegalStateException("the local stack did not come up; see the messages above, then ./bulwark local status");
            }
        }
        if (LocalCommand.useSecuredStack(config, stack)) {
            BulwarkCommand.say("secured stack: TLS, a Kafka user per component with its ACLs, Elasticsearch users per role");
        } else if (secure) {
            throw new IllegalStateException("the local stack runs without security; ./bulwark local down --purge, then demo --secure");
        } else {
            BulwarkRuntime.ensureTopics(config);
        }

        BulwarkCommand.say("step 2/4: starting the pipeline (detectors + Elasticsearch sink)");
        byte[] scenario = scenario();
        Set<String> expectedEventIds = expectedEvents(scenario, new TenantResolver(config.tenantByNamespace()));
        try (MetricsServer metrics = new MetricsServer(0);
             Pipeline pipeline = Pipeline.start(config, config.homeDir(), metrics.registry())) {
            if (!pipeline.awaitRunning(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the detection topology did not reach RUNNING within 60 s");
            }
            BulwarkCommand.say("detectors running: " + pipeline.detectorNames());

            BulwarkCommand.say("step 3/4: replaying the attack scenario (" + SCENARIO.substring(SCENARIO.lastIndexOf('/') + 1) + ")");
            SourceParser parser = Parsers.forFormat("falco");
            IngestStats stats = Ingestion.ingest(config, parser,
                    List.of(new Ingestion.Source("attack-scenario", () -> new ByteArrayInputStream(scenario))), 1 << 20, false);
            BulwarkCommand.say("ingest: " + stats);

            BulwarkCommand.say("step 4/4: waiting for " + expectedEventIds.size() + " findings to be searchable in Elasticsearch");
            List<FindingDocument> findings = awaitFindings(config, expectedEventIds);
            System.out.println();
            FindingsCommand.printTable(findings, System.out);
            System.out.println();
            Map<String, Long> byTenant = findings.stream().collect(Collectors.groupingBy(d -> d.tenant().name(),
                    TreeMap::new, Collectors.counting()));
            System.out.println("findings by tenant: " + byTenant);
            findings.stream().filter(d -> d.rule().id() != null && d.rule().id().startsWith("bulwark.isolation."))
                    .forEach(d -> System.out.println("isolation violation for tenant " + d.tenant().name() + ": " + d.message()));
            printIncidents(config);
            System.out.println("dead-lettered input records: " + stats.deadLettered() + " (on topic "
                    + config.kafka.topicPrefix + "dlq, with the reason and the original bytes)");
            System.out.println();
            System.out.println("Query them yourself:");
            System.out.println("  ./bulwark findings --tenant acme");
            System.out.println("  ./bulwark findings --severity high --since 30d --json");
            System.out.println("  curl -s '" + config.elasticsearch.url + "/" + config.elasticsearch.indexPrefix
                    + "/_search?q=tenant.name:globex&pretty'");
            System.out.println("Browse and triage them in the console: ./bulwark serve (http://127.0.0.1:8080/)");
            System.out.println("The stack keeps running; stop it with ./bulwark local down");
            return findings.size() >= expectedEventIds.size() ? 0 : 1;
        }
    }

    private static byte[] scenario() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(SCENARIO)) {
            if (in == null) {
                throw new IllegalStateException("the demo scenario " + SCENARIO + " is missing from the build");
            }
            return in.readAllBytes();
        }
    }

    /**
     * Ids of the scenario events that must become findings: interactive shells, and exec into another tenant's pod
     * (judged with the scenario's static tenants, as the pipeline will).
     */
    static Set<String> expectedEvents(byte[] scenario, TenantResolver tenants) throws IOException {
        Set<String> ids = new HashSet<>(expectedShellEvents(scenario));
        SourceParser parser = Parsers.forFormat("falco");
        TenantDirectory directory = new ContextTenantDirectory(null, tenants);
        RecordReader reader = new RecordReader(new ByteArrayInputStream(scenario), 1 << 20);
        for (RecordReader.Record record = reader.next(); record != null; record = reader.next()) {
            try {
                for (SecurityEvent event : parser.normalize(record.bytes(), "scenario").events()) {
                    if (CrossTenantAccessDetector.isAllowedCrossTenantAccess(TenantEnricher.enrich(directory, event, true))) {
                        ids.add(event.getId());
                    }
                }
            } catch (ParseException e) {
                // the scenario's broken records are expected to be dead-lettered
            }
        }
        return ids;
    }

    /** Ids of the scenario events the interactive-shell detector must turn into findings. */
    static Set<String> expectedShellEvents(byte[] scenario) throws IOException {
        SourceParser parser = Parsers.forFormat("falco");
        Set<String> ids = new HashSet<>();
        RecordReader reader = new RecordReader(new ByteArrayInputStream(scenario), 1 << 20);
        for (RecordReader.Record record = reader.next(); record != null; record = reader.next()) {
            try {
                for (SecurityEvent event : parser.normalize(record.bytes(), "scenario").events()) {
                    if (InteractiveShellInContainerDetector.isInteractiveShellInContainer(event,
                            InteractiveShellInContainerDetector.DEFAULT_SHELLS)) {
                        ids.add(event.getId());
                    }
                }
            } catch (ParseException e) {
                // the scenario's broken records are expected to be dead-lettered
            }
        }
        return ids;
    }

    /**
     * The incidents the scenario opened, once searchable: the findings on one pod from several detectors become one
     * (docs/incidents.md). Waits up to 30 s; an incident not yet indexed is said, not an error.
     */
    @SuppressWarnings("unchecked")
    private static void printIncidents(BulwarkConfig config) throws Exception {
        ElasticsearchClient client = config.elasticsearchClient(BulwarkConfig.EsUser.API);
        String index = dev.bulwark.sink.IncidentIndex.forFindings(new FindingIndex(config.elasticsearch.indexPrefix))
                .prefix();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    var response = client.search(q -> q.index(index).ignoreUnavailable(true).allowNoIndices(true)
                            .size(10), Map.class);
                    if (!response.hits().hits().isEmpty()) {
                        for (var hit : response.hits().hits()) {
                            var incident = dev.bulwark.sink.IncidentIndex.incident(hit.source());
                            System.out.println("incident " + incident.getId() + ": " + incident.getFindingsTotal()
                                    + " findings of " + incident.getDetectors() + " on " + incident.getOpenedBy()
                                    + ", tenants " + incident.getTenants() + ", tactics " + incident.getTactics());
                        }
                        System.out.println("  ./bulwark serve, then the console's Incidents tab, or GET /api/incidents");
                        return;
                    }
                } catch (java.io.IOException | RuntimeException e) {
                    // the index is created with the first incident
                }
                Thread.sleep(500);
            }
            System.out.println("no incident indexed within 30 s (docs/incidents.md says when findings become one)");
        } finally {
            client._transport().close();
        }
    }

    private List<FindingDocument> awaitFindings(BulwarkConfig config, Set<String> expectedEventIds) throws Exception {
        ElasticsearchClient client = config.elasticsearchClient(BulwarkConfig.EsUser.API);
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(timeoutSeconds).toNanos();
        Map<String, FindingDocument> found = new LinkedHashMap<>();
        int lastReported = -1;
        try {
            while (System.nanoTime() < deadline) {
                List<FindingDocument> docs;
                try {
                    docs = new FindingSearch(null, null, null, null, null, 1000).run(client, index);
                } catch (java.io.IOException | RuntimeException e) {
                    // a daily index that was just created answers 503 until its shard is active
                    Thread.sleep(500);
                    continue;
                }
                found.clear();
                for (FindingDocument doc : docs) {
                    if (doc.evidence().eventIds().stream().anyMatch(expectedEventIds::contains)) {
                        found.put(doc.finding().id(), doc);
                    }
                }
                if (found.size() != lastReported) {
                    BulwarkCommand.say("searchable findings: " + found.size() + "/" + expectedEventIds.size() + " after "
                            + Duration.ofNanos(System.nanoTime() - start).toSeconds() + " s");
                    lastReported = found.size();
                }
                if (found.size() >= expectedEventIds.size()) {
                    break;
                }
                Thread.sleep(500);
            }
        } finally {
            client._transport().close();
        }
        if (found.size() < expectedEventIds.size()) {
            BulwarkCommand.say("timed out: only " + found.size() + " of " + expectedEventIds.size()
                    + " findings arrived; check ./bulwark local status and the dead-letter topic");
        }
        return List.copyOf(found.values());
    }
}
