package com.example.bulwark;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.config.Field;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Example plugin: a container starts a known cryptocurrency miner, or connects to a mining-pool (Stratum) port.
 *
 * <p>Why: it shows the whole path of a detector outside the core: one class, one services line, one test with the
 * {@code DetectorTestKit}, a jar in {@code detection.plugins}. Miner names and ports are settings
 * ({@code detection.detectors.crypto-miner.names}, {@code .ports}).
 */
public final class CryptoMinerDetector implements Detector {

    static final String RULE_ID = "example.crypto_miner";
    private static final MitreAttack MITRE = Mitre.of(List.of("impact"), List.of("T1496"));

    /** {@code names}: process names of miners. */
    static final Field<List<String>> NAMES = Field.of("names", Type.LIST)
            .withDefault(List.of("xmrig", "minerd", "cpuminer", "ethminer", "t-rex", "nbminer", "xmr-stak"))
            .withDoc("Process names of cryptocurrency miners.");
    /** {@code ports}: Stratum mining-pool ports. */
    static final Field<List<String>> PORTS = Field.of("ports", Type.LIST)
            .withDefault(List.of("3333", "4444", "5555", "7777", "14444", "45700"))
            .withValidator(Validator.of((List<String> l) -> l.stream().allMatch(p -> p.matches("\\d{1,5}")), "port numbers"))
            .withDoc("Destination ports of mining pools (Stratum).");

    @Override
    public String name() {
        return "crypto-miner";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public List<Field<?>> settings() {
        return List.of(NAMES, PORTS);
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        Set<String> names = Set.copyOf(context.settings().get(NAMES));
        Set<String> ports = Set.copyOf(context.settings().get(PORTS));
        return context.events()
                .filter((key, event) -> reason(event, names, ports) != null, context.named("filter"))
                .mapValues(event -> finding(event, reason(event, names, ports), context), context.named("finding"));
    }

    /** Why the event looks like mining, or null. */
    static String reason(SecurityEvent event, Set<String> names, Set<String> ports) {
        if (event.getContainer() == null || event.getProcess() == null) {
            return null;
        }
        String process = event.getProcess().getName() == null ? "" : event.getProcess().getName().toLowerCase(Locale.ROOT);
        if (names.contains(process)) {
            return "started the miner " + process;
        }
        if (event.getDestination() != null && event.getDestination().getPort() != null
                && ports.contains(event.getDestination().getPort().toString())) {
            return "connected to mining-pool port " + event.getDestination().getPort() + " at " + event.getDestination().getIp();
        }
        return null;
    }

    private static Finding finding(SecurityEvent event, String reason, DetectorContext context) {
        return context.finding(event)
                .rule(RULE_ID, "Cryptocurrency miner in a container")
                .severity(Severity.HIGH)
                .mitre(MITRE)
                .summary("Container " + event.getContainer().getId() + " " + reason)
                .evidence("process.name", event.getProcess().getName())
                .evidence("process.command_line", event.getProcess().getCommandLine())
                .evidence("destination.ip", event.getDestination() == null ? null : event.getDestination().getIp())
                .evidence("container.image.name", event.getContainer().getImageName())
                .identity(event.getContainer().getId()) // one finding per container, however often it mines
                .build();
    }
}
