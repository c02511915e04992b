package com.example.bulwark.portscan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.example.bulwark.portscan.state.ScanWindow;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.Endpoint;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;

/** The processor on its own: its store, its threshold and its punctuator, without a topology. */
class PortScanProcessorTest {

    private final MockProcessorContext<String, Finding> context = new MockProcessorContext<>();
    private KeyValueStore<String, ScanWindow> store;

    @BeforeEach
    void setUp() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("port-scan-windows"), Serdes.String(),
                AvroSerde.of(ScanWindow.class)).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }

    private PortScanProcessor processor() {
        PortScanProcessor processor = new PortScanProcessor("port-scan-windows", 3, Duration.ofMinutes(1),
                event -> new FindingBuilder("port-scan", "1", namespace -> null, event));
        processor.init(context);
        return processor;
    }

    private static Record<String, SecurityEvent> connection(String container, int port, long millis) {
        SecurityEvent event = SecurityEvent.newBuilder().setId(container + "-" + port + "-" + millis)
                .setTimestamp(millis * 1_000_000L).setSourceFormat("test").setEvent(EventInfo.newBuilder().build())
                .setContainer(ContainerInfo.newBuilder().setId(container).build())
                .setDestination(Endpoint.newBuilder().setIp("10.0.0.9").setPort(port).build()).build();
        return new Record<>("container/" + container, event, millis);
    }

    @Test
    void aWindowKeepsAtMostTheThresholdOfPortsAndFiresOnce() {
        PortScanProcessor processor = processor();
        for (int port = 1; port <= 10; port++) {
            processor.process(connection("c1", port, 1_000 + port));
        }
        assertThat(context.forwarded()).hasSize(1);
        assertThat(store.get("c1|10.0.0.9").getPorts()).containsExactly(1, 2, 3);
        assertThat(store.get("c1|10.0.0.9").getReported()).isTrue();
    }

    @Test
    void theStateSurvivesANewProcessorOverTheSameStore() {
        processor().process(connection("c1", 1, 1_000));
        processor().process(connection("c1", 2, 2_000));
        PortScanProcessor restarted = processor(); // as after a restart: the store is restored, the processor is new
        restarted.process(connection("c1", 3, 3_000));
        assertThat(context.forwarded()).as("the ports counted before the restart still count").hasSize(1);
    }

    @Test
    void thePunctuatorDeletesEndedWindowsSoTheStoreStaysBounded() {
        PortScanProcessor processor = processor();
        processor.process(connection("c1", 1, 1_000));
        processor.process(connection("c2", 1, 50_000));
        var punctuator = context.scheduledPunctuators().get(0);
        assertThat(punctuator.getInterval()).isEqualTo(Duration.ofMinutes(1));
        punctuator.getPunctuator().punctuate(61_000);
        assertThat(store.get("c1|10.0.0.9")).as("ended at 61 s").isNull();
        assertThat(store.get("c2|10.0.0.9")).as("still open").isNotNull();
        punctuator.getPunctuator().punctuate(110_000);
        assertThat(store.approximateNumEntries()).isZero();
    }
}
