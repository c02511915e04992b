package com.example.bulwark.portscan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import com.example.bulwark.portscan.state.ScanWindow;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Counts the distinct ports each container reaches on each IP within a window of event time, and reports a window once
 * when it reaches the threshold.
 *
 * <p>State: one {@link ScanWindow} per container and IP (key {@code <container>|<ip>}), holding at most the threshold
 * of ports. A window starts with the first connection and lasts {@code window}; a connection after it starts a new
 * one. A punctuator on stream time deletes windows older than that, so the store holds only the last window's worth of
 * pairs however long the detector runs.
 */
final class PortScanProcessor implements Processor<String, SecurityEvent, String, Finding> {

    private static final MitreAttack MITRE = Mitre.of(List.of("discovery"), List.of("T1046"));

    private final String storeName;
    private final int threshold;
    private final long windowMs;
    private final Function<SecurityEvent, FindingBuilder> findings;
    private ProcessorContext<String, Finding> context;
    private KeyValueStore<String, ScanWindow> windows;

    /**
     * @param storeName the window store, as {@code context.stores().keyValue(...)} named it
     * @param threshold distinct ports that make a scan
     * @param window how long a scan may take
     * @param findings starts a finding about an event ({@code context::finding})
     */
    PortScanProcessor(String storeName, int threshold, Duration window, Function<SecurityEvent, FindingBuilder> findings) {
        this.storeName = storeName;
        this.threshold = threshold;
        this.windowMs = window.toMillis();
        this.findings = findings;
    }

    /** True for a connection from a container to an IP and port. */
    static boolean connection(SecurityEvent event) {
        return event.getContainer() != null && event.getContainer().getId() != null && event.getDestination() != null
                && event.getDestination().getIp() != null && event.getDestination().getPort() != null;
    }

    @Override
    public void init(ProcessorContext<String, Finding> context) {
        this.context = context;
        this.windows = context.getStateStore(storeName);
        context.schedule(Duration.ofMillis(windowMs), PunctuationType.STREAM_TIME, this::expire);
    }

    @Override
    public void process(Record<String, SecurityEvent> record) {
        SecurityEvent event = record.value();
        String key = event.getContainer().getId() + "|" + event.getDestination().getIp();
        long time = Math.floorDiv(event.getTimestamp(), 1_000_000L);
        ScanWindow window = windows.get(key);
        if (window == null || time - window.getStart() >= windowMs) {
            window = ScanWindow.newBuilder().setStart(time).build();
        }
        int port = event.getDestination().getPort();
        if (!window.getPorts().contains(port) && window.getPorts().size() < threshold) {
            List<Integer> ports = new ArrayList<>(window.getPorts());
            ports.add(port);
            List<String> ids = new ArrayList<>(window.getEventIds());
            ids.add(event.getId());
            window.setPorts(ports);
            window.setEventIds(ids);
        }
        if (window.getPorts().size() >= threshold && !window.getReported()) {
            window.setReported(true);
            Finding finding = finding(event, window);
            context.forward(new Record<>(finding.getId(), finding, record.timestamp()));
        }
        windows.put(key, window);
    }

    private Finding finding(SecurityEvent event, ScanWindow window) {
        String container = event.getContainer().getId();
        String ip = event.getDestination().getIp();
        return findings.apply(event)
                .rule(PortScanDetector.RULE_ID, "Port scan from a container")
                .severity(Severity.MEDIUM)
                .mitre(MITRE)
                .summary("Container " + container + " reached " + window.getPorts().size() + " ports of " + ip + " within "
                        + Duration.ofMillis(time(event) - window.getStart()).toSeconds() + " s")
                .evidence("destination.ip", ip)
                .evidence("destination.ports", window.getPorts().toString())
                .evidence("event.ids", String.join(",", window.getEventIds()))
                .identity(container, ip, Long.toString(window.getStart())) // one finding per window
                .build();
    }

    private static long time(SecurityEvent event) {
        return Math.floorDiv(event.getTimestamp(), 1_000_000L);
    }

    /** Deletes the windows that ended before {@code streamTime}. */
    private void expire(long streamTime) {
        List<String> ended = new ArrayList<>();
        try (KeyValueIterator<String, ScanWindow> all = windows.all()) {
            while (all.hasNext()) {
                KeyValue<String, ScanWindow> entry = all.next();
                if (streamTime - entry.value.getStart() >= windowMs) {
                    ended.add(entry.key);
                }
            }
        }
        ended.forEach(windows::delete);
    }
}
