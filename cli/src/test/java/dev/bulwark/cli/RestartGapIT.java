package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import dev.bulwark.deploy.LocalStack;
import dev.bulwark.deploy.Probes;
import dev.bulwark.deploy.RealStack;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.ElasticsearchClients;
import dev.bulwark.sink.FindingIndex;

/**
 * The detection gap after a restart, measured on real {@code bulwark run --components detectors,sink} processes: the
 * time from starting the process again to a new alert being a searchable finding, after a graceful stop (SIGTERM) and
 * after {@code kill -9}. Also checks that {@code /readyz} turns 200 only once detectors and sink can work.
 */
class RestartGapIT {

    /**
     * The bound after a graceful restart. 15 s since the detectors gained the exec sessions' global store, entity risk
     * and incidents (five sub-topologies, eleven tasks): measured 7.7-8.6 s alone and 10.5 s in a full CI run on the
     * 2-core machine, against 4.0-5.7 s before (docs/operating.md). Bringing it back down is open work.
     */
    static final Duration GRACEFUL_BOUND = Duration.ofSeconds(15);

    @TempDir
    Path work;

    @Test
    void aNewAlertIsSearchableWithinSecondsOfARestartAfterSigtermAndAfterKill9() throws Exception {
        LocalStack stack = RealStack.get();
        String prefix = RealStack.uniquePrefix("restart");
        int sessionTimeoutMs = 10_000;
        String yaml = RunProcess.yaml(stack, prefix, Duration.ofMillis(sessionTimeoutMs), """
                detection:
                  applicationId: "%sdetectors"
                tenants:
                  acme: [payments]
                """.formatted(prefix));
        Topics topics = Topics.withPrefix(prefix);
        ElasticsearchClient client = ElasticsearchClients.create(stack.elasticsearchUrl());
        FindingIndex index = new FindingIndex(RunProcess.indexPrefix(prefix));
        List<String> figures = new ArrayList<>();
        long gracefulGapMs;
        long killGapMs;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()), new StringSerializer(), new ByteArraySerializer())) {
            try (RunProcess run = new RunProcess(work, "run", "detectors,sink", yaml)) {
                long readyMs = run.start().awaitReady(Duration.ofSeconds(120));
                figures.add("first start: /readyz 200 after " + readyMs + " ms");
                send(producer, topics, "c-first");
                assertThat(awaitFinding(stack, index, "c-first", Duration.ofSeconds(60))).as("finding before any restart").isTrue();
                HttpResponse<String> ready = Probes.readiness(run.metricsPort());
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                assertThat(run.stop()).as("exit code after SIGTERM, a graceful stop").isIn(0, 143);

                long restarted = System.nanoTime();
                run.start();
                send(producer, topics, "c-after-sigterm");
                assertThat(awaitFinding(stack, index, "c-after-sigterm", Duration.ofSeconds(60))).isTrue();
                gracefulGapMs = (System.nanoTime() - restarted) / 1_000_000;
                figures.add("after SIGTERM: new alert searchable " + gracefulGapMs + " ms after the restart began");
                run.awaitReady(Duration.ofSeconds(30));
                run.kill(); // no goodbye to the group

                restarted = System.nanoTime();
                run.start();
                send(producer, topics, "c-after-kill");
                assertThat(awaitFinding(stack, index, "c-after-kill", Duration.ofSeconds(120))).isTrue();
                killGapMs = (System.nanoTime() - restarted) / 1_000_000;
                figures.add("after kill -9: new alert searchable " + killGapMs + " ms after the restart began");
                run.stop();
            }
            System.out.println("[restart gap] " + String.join("; ", figures));
            assertThat(gracefulGapMs).as("gap after a graceful restart (ms)").isLessThan(GRACEFUL_BOUND.toMillis());
            // The same instance comes back under the same static group membership: no wait for the session timeout.
            assertThat(killGapMs).as("gap after kill -9 (ms)").isLessThan(sessionTimeoutMs + GRACEFUL_BOUND.toMillis());
        } finally {
            try {
                index.deleteAll(client);
            } finally {
                client._transport().close();
            }
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topics topics, String containerId) throws Exception {
        SecurityEvent event = SecurityEvent.newBuilder()
                .setId("restart-" + containerId)
                .setTimestamp(System.currentTimeMillis() * 1_000_000L)
                .setSourceFormat("falco")
                .setEvent(EventInfo.newBuilder().setKind("alert").build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("payments").setPod("api-1").build())
                .setContainer(ContainerInfo.newBuilder().setId(containerId).setImageName("docker.io/library/alpine").build())
                .setProcess(ProcessInfo.newBuilder().setName("bash").setCommandLine("bash -i").setTty(34816L).build())
                .build();
        producer.send(new ProducerRecord<>(topics.events().name(), "container/" + containerId,
                topics.events().valueSerde().serializer().serialize("t", event))).get();
    }

    private static boolean awaitFinding(LocalStack stack, FindingIndex index, String containerId, Duration wait)
            throws InterruptedException {
        return Probes.awaitSearchable(stack.elasticsearchUrl(), index.alias(), "container.id", containerId, wait);
    }
}
