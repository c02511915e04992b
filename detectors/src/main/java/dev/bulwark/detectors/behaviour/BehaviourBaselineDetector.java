package dev.bulwark.detectors.behaviour;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Repartitioned;

import dev.bulwark.config.Field;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;
import dev.bulwark.detectors.FirstSeenFilter;
import dev.bulwark.detectors.StateSerde;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Runtime profiling: per container image, learn the executables it runs and the destinations it connects to during a
 * learning period, then report anything new.
 *
 * <p>Why: containers are immutable and repetitive; an image that suddenly runs {@code nc} or calls a new address is the
 * classic sign of compromise, whatever rule set is loaded. Settings ({@code detection.detectors.behaviour-baseline.*}):
 * {@link #LEARNING} (event time from the image's first event, default {@code 1h}), {@link #OPT_OUT_TENANTS},
 * {@link #MAX_ITEMS} (per profile and kind, default 500: a profile that fills up stops reporting rather than growing)
 * and {@link #IDLE_TTL} (default {@code 7d}). Each new item is reported once (medium), then learned.
 */
public final class BehaviourBaselineDetector implements Detector {

    public static final String RULE_ID = "bulwark.behaviour.new_in_image";
    private static final MitreAttack MITRE = Mitre.of(List.of("execution", "command-and-control"),
            List.of("T1059", "T1071"));

    @Override
    public String name() {
        return "behaviour-baseline";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    /** {@code learning}: how long an image is learned before new behaviour is reported. */
    public static final Field<Duration> LEARNING = Field.of("learning", Type.DURATION).withDefault(Duration.ofHours(1))
            .withValidator(Validator.between(Duration.ZERO, Duration.ofDays(30)))
            .withDoc("How long after an image is first seen its behaviour is learned silently.");
    /** {@code idle-ttl}: profiles of images not seen for this long are dropped. */
    public static final Field<Duration> IDLE_TTL = Field.of("idle-ttl", Type.DURATION).withDefault(Duration.ofDays(7))
            .withValidator(Validator.positive()).withDoc("Profiles of images not seen for this long are dropped.");
    /** {@code max-items}: bound on executables and destinations kept per image. */
    public static final Field<Integer> MAX_ITEMS = Field.of("max-items", Type.INT).withDefault(500)
            .withValidator(Validator.range(1, 100_000)).withDoc("Executables and destinations kept per image profile.");
    /** {@code opt-out-tenants}: tenants whose workloads are not profiled. */
    public static final Field<List<String>> OPT_OUT_TENANTS = Field.of("opt-out-tenants", Type.LIST).withDefault(List.of())
            .withDoc("Tenants whose workloads are not profiled.");

    @Override
    public List<Field<?>> settings() {
        return List.of(LEARNING, IDLE_TTL, MAX_ITEMS, OPT_OUT_TENANTS);
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        Duration learning = context.settings().get(LEARNING);
        Duration idleTtl = context.settings().get(IDLE_TTL);
        int maxItems = context.settings().get(MAX_ITEMS);
        Set<String> optOut = Set.copyOf(context.settings().get(OPT_OUT_TENANTS));
        String store = context.stores().keyValue("profiles", Serdes.String(), StateSerde.imageProfiles());
        return context.events()
                .filter((key, event) -> image(event) != null && item(event) != null
                        && (event.getTenant() == null || !optOut.contains(event.getTenant().getOwner())),
                        context.named("profiled"))
                .processValues(() -> new FirstSeenFilter<SecurityEvent>(50_000,
                        event -> image(event) + "|" + item(event)), context.named("repeats"))
                .selectKey((key, event) -> image(event), context.named("by-image"))
                .repartition(Repartitioned.<String, SecurityEvent>as(name() + "-by-image")
                        .withKeySerde(Serdes.String()).withValueSerde(AvroSerde.of(SecurityEvent.class)))
                .process(() -> new BehaviourBaselineProcessor(store, learning, idleTtl, maxItems, context::finding),
                        context.named("profile"), store);
    }

    /** The image an event's container runs, normalized, or null. */
    static String image(SecurityEvent event) {
        if (event.getContainer() == null || event.getContainer().getImageName() == null) {
            return null;
        }
        String tag = event.getContainer().getImageTag();
        return dev.bulwark.detectors.vulnerability.ImageRef.normalize(event.getContainer().getImageName())
                + (tag == null ? "" : ":" + tag);
    }

    /** What the event shows the image doing: an executable started or a destination contacted; null for other events. */
    static Map.Entry<String, String> item(SecurityEvent event) {
        if (event.getDestination() != null && event.getDestination().getIp() != null
                && (event.getNetwork() == null || !"ingress".equals(event.getNetwork().getDirection()))) {
            String peer = event.getTenant() != null && event.getTenant().getPeerPod() != null
                    ? "pod " + event.getTenant().getPeerNamespace() + "/" + event.getTenant().getPeerPod()
                    : event.getDestination().getIp();
            return Map.entry("destination", peer + (event.getDestination().getPort() == null ? ""
                    : ":" + event.getDestination().getPort()));
        }
        boolean start = event.getEvent() != null && event.getEvent().getType() != null
                && event.getEvent().getType().contains("start");
        if (event.getProcess() != null && event.getProcess().getExecutable() != null && start) {
            return Map.entry("executable", event.getProcess().getExecutable());
        }
        return null;
    }

    /** The finding for an image doing something new: {@code item} as {@link #item} gives it. */
    static Finding finding(SecurityEvent event, String image, Map.Entry<String, String> item,
                           Function<SecurityEvent, FindingBuilder> findings) {
        String what = "executable".equals(item.getKey()) ? "ran a new executable " + item.getValue()
                : "connected to a new destination " + item.getValue();
        String where = event.getKubernetes() == null ? "container " + event.getContainer().getId()
                : "pod " + event.getKubernetes().getNamespace() + "/" + event.getKubernetes().getPod();
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("image", image);
        evidence.put("baseline." + item.getKey(), item.getValue());
        evidence.put("process.command_line", event.getProcess() == null ? null : event.getProcess().getCommandLine());
        evidence.put("container.id", event.getContainer().getId());
        return findings.apply(event).rule(RULE_ID, "Image did something outside its learned behaviour").severity(Severity.MEDIUM).mitre(MITRE)
                .summary("Image " + image + " in " + where + " " + what + " after its learning period").evidence(evidence).identity(image, item.getKey(), item.getValue()).build();
    }
}
