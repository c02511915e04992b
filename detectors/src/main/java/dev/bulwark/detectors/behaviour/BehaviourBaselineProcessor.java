package dev.bulwark.detectors.behaviour;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.state.ImageProfile;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.SecurityEvent;

/**
 * The profiling step of {@link BehaviourBaselineDetector}, on events keyed by image: learns what each image does and
 * reports what is new once its learning period is over.
 *
 * <p>Why a class of its own: the profile's rules (learning by event time from the image's first event, the bound on
 * items, idle expiry by stream time) decide what gets reported, and they are tested here directly. A profile
 * ({@code behaviour-baseline-profiles}, keyed by image) keeps its executables and destinations sorted, so a lookup is a
 * binary search. Every new item is learned; it is reported when the image's learning period is over. A kind of item
 * that reached {@code maxItems} learns nothing more and reports nothing more: a profile that fills up goes quiet
 * rather than growing without bound.
 */
final class BehaviourBaselineProcessor implements Processor<String, SecurityEvent, String, Finding> {

    /** How often idle profiles are looked for (stream time). */
    static final Duration EXPIRY_INTERVAL = Duration.ofMinutes(10);

    private final String storeName;
    private final Duration learning;
    private final Duration idleTtl;
    private final int maxItems;
    private final Function<SecurityEvent, FindingBuilder> findings;

    private ProcessorContext<String, Finding> processorContext;
    private KeyValueStore<String, ImageProfile> profiles;

    /**
     * @param storeName the store of profiles, connected to this processor
     * @param learning how long after an image's first event (event time) its behaviour is learned silently
     * @param idleTtl profiles of images not seen for this long (stream time) are dropped
     * @param maxItems executables, and destinations, kept per profile
     * @param findings starts a finding about an event (the detector's {@code DetectorContext#finding})
     */
    BehaviourBaselineProcessor(String storeName, Duration learning, Duration idleTtl, int maxItems,
                               Function<SecurityEvent, FindingBuilder> findings) {
        this.storeName = Objects.requireNonNull(storeName, "storeName");
        this.learning = Objects.requireNonNull(learning, "learning");
        this.idleTtl = Objects.requireNonNull(idleTtl, "idleTtl");
        this.maxItems = maxItems;
        this.findings = Objects.requireNonNull(findings, "findings");
    }

    @Override
    public void init(ProcessorContext<String, Finding> processorContext) {
        this.processorContext = processorContext;
        this.profiles = processorContext.getStateStore(storeName);
        processorContext.schedule(EXPIRY_INTERVAL, PunctuationType.STREAM_TIME, this::expire);
    }

    @Override
    public void process(Record<String, SecurityEvent> record) {
        SecurityEvent event = record.value();
        long now = Math.floorDiv(event.getTimestamp(), 1_000_000L);
        ImageProfile profile = profiles.get(record.key());
        if (profile == null) {
            profile = new ImageProfile(now, now, List.of(), List.of());
        }
        Map.Entry<String, String> item = BehaviourBaselineDetector.item(event);
        boolean executable = "executable".equals(item.getKey());
        List<String> known = executable ? profile.getExecutables() : profile.getDestinations();
        int at = Collections.binarySearch(known, item.getValue());
        if (at < 0 && known.size() < maxItems) {
            List<String> updated = new ArrayList<>(known.size() + 1);
            updated.addAll(known);
            updated.add(-at - 1, item.getValue());
            profile = executable
                    ? new ImageProfile(profile.getFirstSeen(), now, updated, profile.getDestinations())
                    : new ImageProfile(profile.getFirstSeen(), now, profile.getExecutables(), updated);
            if (now - profile.getFirstSeen() >= learning.toMillis()) {
                Finding finding = BehaviourBaselineDetector.finding(event, record.key(), item, findings);
                processorContext.forward(new Record<>(finding.getId(), finding, record.timestamp()));
            }
        } else {
            profile = new ImageProfile(profile.getFirstSeen(), Math.max(now, profile.getLastSeen()),
                    profile.getExecutables(), profile.getDestinations());
        }
        profiles.put(record.key(), profile);
    }

    /** The punctuator: drops profiles not seen for longer than the TTL before {@code streamTime}. */
    void expire(long streamTime) {
        List<String> idle = new ArrayList<>();
        try (KeyValueIterator<String, ImageProfile> it = profiles.all()) {
            it.forEachRemaining(kv -> {
                if (streamTime - kv.value.getLastSeen() > idleTtl.toMillis()) {
                    idle.add(kv.key);
                }
            });
        }
        idle.forEach(profiles::delete);
    }
}
