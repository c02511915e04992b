package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.samples.Samples;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Shadow mode on the real stack, through the command line: a rule pushed with {@code --shadow} fires into the shadow
 * index only (not the findings index, not a tenant's alias), {@code rules list} shows its hits, and after
 * {@code rules promote} the running detectors make its next match a live finding, without a restart.
 */
class ShadowRulesIT {

    private static final String RULE_ID = "5b0c1d2e-3f40-4a51-9b62-7c8d9e0f1a2b";
    private static final String RULE = shellFallbackRule(RULE_ID, "Shell fallback chain");

    /** A rule matching the sample Falco shell alert's command line ({@code sh -c clear; (bash || ash || sh)}). */
    static String shellFallbackRule(String id, String title) {
        return """
                title: %s
                id: %s
                status: experimental
                level: high
                author: Bulwark tests
                logsource: {product: linux, category: process_creation}
                detection:
                    selection:
                        CommandLine|contains: 'bash || ash'
                    condition: selection
                """.formatted(title, id);
    }

    @TempDir
    Path state;

    @TempDir
    Path files;

    @Test
    void aShadowRuleFiresIntoTheShadowIndexOnlyUntilPromoted() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("shadow");
        BulwarkConfig config = EndToEndIT.config(stack, prefix);
        config.detection.detectors.put("sigma", Map.of("emit-interval", "0s", "fold-window", "1s"));
        config.tenants.put("acme", List.of("default")); // the sample's namespace
        InProcessCli cli = InProcessCli.of(files, stack, config);
        Path rules = Files.createDirectories(files.resolve("rules"));
        Files.writeString(rules.resolve("shell-fallback.yml"), RULE);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex live = new FindingIndex(config.elasticsearch.indexPrefix);
        FindingIndex shadow = live.shadow();
        new KafkaClients(config).ensureTopics();
        try (Pipeline pipeline = Pipeline.start(config, state, new SimpleMeterRegistry())) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            InProcessCli.Output push = cli.run("rules", "push", "--shadow", rules.toString());
            assertThat(push.code()).as(push.text()).isZero();
            assertThat(push.text()).contains("published " + RULE_ID, "in shadow mode");

            // The rule applies within seconds: send the shell until its shadow finding shows.
            List<FindingDocument> shadowed = awaitRule(client, shadow, config);
            assertThat(shadowed).singleElement().satisfies(doc -> {
                assertThat(doc.finding().shadow()).isTrue();
                assertThat(doc.tenant().name()).isEqualTo("acme");
            });
            assertThat(ofRule(client, live)).as("nothing in the findings index").isEmpty();
            var aliases = client.indices().getAlias(g -> g.index(shadow.prefix() + "-*")).aliases();
            assertThat(aliases).isNotEmpty();
            aliases.values().forEach(entry -> assertThat(entry.aliases().keySet())
                    .as("the shadow index's aliases: its own, no tenant's").containsExactly(shadow.alias()));

            InProcessCli.Output list = cli.run("rules", "list");
            assertThat(list.code()).as(list.text()).isZero();
            assertThat(list.text()).containsPattern(RULE_ID + ".*shadow [1-9]\\d* findings/[1-9]\\d* matches");

            InProcessCli.Output promote = cli.run("rules", "promote", RULE_ID);
            assertThat(promote.code()).as(promote.text()).isZero();
            assertThat(cli.run("rules", "promote", RULE_ID).text()).contains("is live already");

            List<FindingDocument> promoted = awaitRule(client, live, config);
            assertThat(promoted).isNotEmpty().allSatisfy(doc -> assertThat(doc.finding().shadow()).isNull());
            assertThat(ofRule(client, new FindingIndex(live.tenantAlias("acme")))).as("in acme's view once live")
                    .isNotEmpty();
            assertThat(cli.run("rules", "list").text()).containsPattern(RULE_ID + ".*live");
        } finally {
            live.deleteAll(client);
            shadow.deleteAll(client);
            client._transport().close();
        }
    }

    /** Sends the sample shell alert, dated now, every two seconds until the rule's finding is in {@code index}. */
    private static List<FindingDocument> awaitRule(ElasticsearchClient client, FindingIndex index, BulwarkConfig config)
            throws Exception {
        String line = Files.readAllLines(Samples.path("falco/falco_alerts_real.ndjson")).get(0);
        Instant now = Instant.now();
        String alert = line.replace("2023-05-25T13:44:05.478445995Z", now.toString())
                .replace("1685022245478445995", Long.toString(now.toEpochMilli() * 1_000_000L)) + "\n";
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            byte[] bytes = alert.getBytes(StandardCharsets.UTF_8);
            Ingestion.ingest(config, Parsers.forFormat("falco"),
                    List.of(new Ingestion.Source("shell", () -> new ByteArrayInputStream(bytes))), 1 << 20, false);
            for (int i = 0; i < 4; i++) {
                Thread.sleep(500);
                List<FindingDocument> found = ofRule(client, index);
                if (!found.isEmpty()) {
                    return found;
                }
            }
            assertThat(System.nanoTime()).as("a finding of the rule in %s", index.alias()).isLessThan(deadline);
        }
    }

    private static List<FindingDocument> ofRule(ElasticsearchClient client, FindingIndex index) throws Exception {
        try {
            var response = client.search(s -> s.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true)
                    .query(q -> q.term(t -> t.field("rule.id").value(RULE_ID))), FindingDocument.class);
            List<FindingDocument> docs = new ArrayList<>();
            response.hits().hits().forEach(hit -> docs.add(hit.source()));
            return docs;
        } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
            // the index is being created, or was just created and answers 503 until its shard is active
            return List.of();
        }
    }
}
