package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientsTest {

    @TempDir
    Path dir;

    private BulwarkConfig config(String yaml) throws Exception {
        return BulwarkConfig.load(Files.writeString(dir.resolve("b.yaml"), yaml), Map.of());
    }

    @Test
    void thePassThroughBlockReachesEveryClient() throws Exception {
        BulwarkConfig config = config("""
                kafka:
                  bootstrap: broker-1:9093,broker-2:9093
                  sessionTimeout: 15s
                  properties:
                    security.protocol: SASL_SSL
                    sasl.mechanism: SCRAM-SHA-512
                    client.rack: zone-a
                """);
        KafkaClients clients = new KafkaClients(config);
        assertThat(clients.common()).containsEntry("bootstrap.servers", "broker-1:9093,broker-2:9093")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("client.rack", "zone-a");
        assertThat(clients.producer("p")).containsEntry("security.protocol", "SASL_SSL").containsEntry("acks", "all")
                .containsEntry("enable.idempotence", true);
        assertThat(clients.groupConsumer("g", "host-1-sink")).containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("group.instance.id", "host-1-sink").containsEntry("session.timeout.ms", 15_000)
                .containsEntry("heartbeat.interval.ms", 3000).containsEntry("enable.auto.commit", false)
                .containsEntry("isolation.level", "read_committed");
        assertThat(clients.reader()).containsEntry("security.protocol", "SASL_SSL");
        Properties streams = clients.streams(dir.resolve("state"), "host-1-detectors");
        assertThat(streams).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("main.consumer.group.instance.id", "host-1-detectors")
                .containsEntry("consumer.session.timeout.ms", 15_000)
                .containsEntry("processing.exception.handler", dev.bulwark.detection.DeadLetterHandlers.Processing.class);
    }

    @Test
    void settingsBulwarkOwnsAndUnknownNamesAreRefused() {
        assertThatThrownBy(() -> config("kafka:\n  properties:\n    acks: \"1\"\n"))
                .hasMessageContaining("kafka.properties must not set acks: Bulwark sets it itself to keep its delivery guarantees");
        assertThatThrownBy(() -> config("kafka:\n  properties:\n    group.protocol: streams\n"))
                .hasMessageContaining("classic protocol with static membership");
        assertThatThrownBy(() -> config("kafka:\n  properties:\n    security.protocoll: SSL\n"))
                .hasMessageContaining("'security.protocoll' is not a Kafka client setting; settings starting alike: [security.protocol");
    }

    @Test
    void theInstanceIdIsStableForAHomeAndDiffersBetweenHomes() throws Exception {
        KafkaClients clients = new KafkaClients(config("{}\n"));
        assertThat(clients.instanceId(dir.resolve("a"))).isEqualTo(clients.instanceId(dir.resolve("a")))
                .isNotEqualTo(clients.instanceId(dir.resolve("b")));
        KafkaClients named = new KafkaClients(config("detection:\n  instanceId: bulwark-detectors-0\n"));
        assertThat(named.instanceId(dir)).isEqualTo("bulwark-detectors-0");
    }

    @Test
    void theReceiverAnswers503OnlyAfterItsProducerGaveUp() throws Exception {
        KafkaClients clients = new KafkaClients(config("{}\n"));
        Map<String, Object> producer = clients.receiverProducer();
        assertThat(producer).containsEntry("delivery.timeout.ms", 45_000).containsEntry("acks", "all");
        assertThat(BulwarkRuntime.receiverAckTimeout(producer).toMillis()).isGreaterThan(45_000);
        KafkaClients longer = new KafkaClients(config("kafka:\n  properties:\n    delivery.timeout.ms: \"300000\"\n"));
        Map<String, Object> configured = longer.receiverProducer();
        assertThat(configured).containsEntry("delivery.timeout.ms", "300000");
        assertThat(BulwarkRuntime.receiverAckTimeout(configured).toMillis()).isGreaterThan(300_000);
    }

    @Test
    void aProducerRequestLimitTooSmallForTheLargestFindingIsRefusedBeforeAnyBrokerIsAsked() throws Exception {
        KafkaClients clients = new KafkaClients(config("kafka:\n  properties:\n    max.request.size: \"200000\"\n"));
        assertThatThrownBy(() -> clients.checkRecordRoom(256 * 1024))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("max.request.size=200000")
                .hasMessageContaining("lower detection.maxFindingBytes");
    }
}
