package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
import co.elastic.clients.elasticsearch._types.FieldValue;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingDocument;
import dev.bulwark.sink.FindingIndex;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * A per-tenant exception on the real stack, through the command line: acme's probe pods are excepted from a Sigma
 * rule while acme's other pods and globex's probe pods still raise findings; removing the exception brings acme's
 * probes back within seconds, without a restart.
 */
class TenantExceptionIT {

    private static final String RULE_ID = "6c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
    private static final String PROBES = """
            title: acme's readiness probes run the shell fallback
            logsource: {product: linux, category: process_creation}
            filter:
                rules: [%s]
                probe:
                    kubernetes.pod|startswith: 'probe-'
                condition: not probe
            """.formatted(RULE_ID);

    @TempDir
    Path state;

    @TempDir
    Path files;

    @Test
    void anExceptionQuietsOneTenantsProbesOnlyAndLiftsWithinSeconds() throws Exception {
        LocalStack stack = RealStack.get();
        BulwarkConfig config = EndToEndIT.config(stack, RealStack.uniquePrefix("exceptions"));
        config.detection.detectors.put("sigma", Map.of("emit-interval", "0s"));
        config.tenants.put("acme", List.of("default"));
        config.tenants.put("globex", List.of("payments"));
        InProcessCli cli = InProcessCli.of(files, stack, config);
        Path rules = Files.createDirectories(files.resolve("rules"));
        Files.writeString(rules.resolve("shell-fallback.yml"), ShadowRulesIT.shellFallbackRule(RULE_ID, "Shell fallback"));
        Path probes = Files.writeString(files.resolve("probes.yml"), PROBES);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(config.elasticsearch.indexPrefix);
        new KafkaClients(config).ensureTopics();
        assertThat(cli.run("rules", "push", rules.toString()).code()).isZero();
        InProcessCli.Output set = cli.run("rules", "override", RULE_ID, "--tenant", "acme", "--exception",
                probes.toString(), "--note", "readiness probes");
        assertThat(set.code()).as(set.text()).isZero();
        assertThat(cli.run("rules", "overrides").text()).contains("acme", RULE_ID, "exception", "readiness probes");
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        try (Pipeline pipeline = Pipeline.start(config, state, metrics)) {
            assertThat(pipeline.awaitRunning(Duration.ofSeconds(60))).isTrue();
            Instant now = Instant.now();
            BacktestIT.ingest(config, List.of(
                    BacktestIT.alert(now, "default", "probe-1", "c-acme-probe", "root", true),
                    BacktestIT.alert(now, "default", "web-1", "c-acme-web", "root", true),
                    BacktestIT.alert(now, "payments", "probe-2", "c-globex-probe", "root", true)));
            awaitFinding(client, index, "web-1");
            awaitFinding(client, index, "probe-2");
            assertThat(findingsOf(client, index, "probe-1")).as("acme's probe is excepted").isEmpty();
            assertThat(metrics.find("bulwark.detect.sigma.excepted").counter().count()).isEqualTo(1.0);

            assertThat(cli.run("rules", "override", RULE_ID, "--tenant", "acme", "--remove").code()).isZero();
            long lifted = System.nanoTime();
            for (int round = 1; ; round++) {
                String pod = "probe-back-" + round;
                BacktestIT.ingest(config, List.of(BacktestIT.alert(Instant.now(), "default", pod, "c-" + pod, "root",
                        true)));
                Thread.sleep(1500);
                if (!findingsOf(client, index, pod).isEmpty()) {
                    break;
                }
                assertThat(System.nanoTime() - lifted).as("removing the exception applies within seconds")
                        .isLessThan(Duration.ofSeconds(30).toNanos());
            }
        } finally {
            index.deleteAll(client);
            client._transport().close();
        }
    }

    private static void awaitFinding(ElasticsearchClient client, FindingIndex index, String pod) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (findingsOf(client, index, pod).isEmpty()) {
            assertThat(System.nanoTime()).as("a finding for pod %s", pod).isLessThan(deadline);
            Thread.sleep(300);
        }
    }

    private static List<FindingDocument> findingsOf(ElasticsearchClient client, FindingIndex index, String pod) {
        try {
            client.indices().refresh(r -> r.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true));
            var response = client.search(s -> s.index(index.alias()).ignoreUnavailable(true).allowNoIndices(true)
                    .query(q -> q.bool(b -> b
                            .filter(f -> f.term(t -> t.field("rule.id").value(FieldValue.of(RULE_ID))))
                            .filter(f -> f.term(t -> t.field("kubernetes.pod").value(FieldValue.of(pod)))))),
                    FindingDocument.class);
            List<FindingDocument> docs = new ArrayList<>();
            response.hits().hits().forEach(hit -> docs.add(hit.source()));
            return docs;
        } catch (co.elastic.clients.elasticsearch._types.ElasticsearchException | java.io.IOException e) {
            return List.of(); // no index yet, or a just-created daily index answering 503 until its shard is active
        }
    }
}
