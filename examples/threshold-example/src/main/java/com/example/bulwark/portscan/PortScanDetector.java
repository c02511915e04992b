package com.example.bulwark.portscan;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.KStream;

import com.example.bulwark.portscan.state.ScanWindow;

import dev.bulwark.config.Field;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Finding;

/**
 * Example plugin with state: a container reaches many ports of one IP within a short time, the shape of a port scan
 * (MITRE ATT&amp;CK T1046, network service discovery).
 *
 * <p>Why it is here: a windowed threshold is what data engineers ask about first. It shows a state store from
 * {@link DetectorContext#stores()}, a named processor class with a punctuator that keeps the store bounded, an Avro
 * state record, and the two tests a stateful detector needs (the test kit, and {@code MockProcessorContext}).
 * Events arrive keyed by container, so one container's connections all reach the same task and store: no repartition.
 */
public final class PortScanDetector implements Detector {

    static final String RULE_ID = "example.port_scan";

    /** {@code ports}: distinct ports of one IP that make a scan. */
    static final Field<Integer> PORTS = Field.of("ports", Type.INT).withDefault(20)
            .withValidator(Validator.range(2, 10_000))
            .withDoc("Distinct destination ports of one IP, reached by one container within the window, that make a scan.");
    /** {@code window}: how long a scan may take. */
    static final Field<Duration> WINDOW = Field.of("window", Type.DURATION).withDefault(Duration.ofMinutes(1))
            .withValidator(Validator.between(Duration.ofSeconds(1), Duration.ofHours(1)))
            .withDoc("How long the ports may take, from the first connection (event time).");

    @Override
    public String name() {
        return "port-scan";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public List<Field<?>> settings() {
        return List.of(PORTS, WINDOW);
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        int ports = context.settings().get(PORTS);
        Duration window = context.settings().get(WINDOW);
        String windows = context.stores().keyValue("windows", Serdes.String(), AvroSerde.of(ScanWindow.class));
        return context.events()
                .filter((key, event) -> PortScanProcessor.connection(event), context.named("connections"))
                .process(() -> new PortScanProcessor(windows, ports, window, context::finding), context.named("count-ports"),
                        windows);
    }
}
