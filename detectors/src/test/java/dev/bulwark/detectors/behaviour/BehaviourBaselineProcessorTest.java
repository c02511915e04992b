package dev.bulwark.detectors.behaviour;

import static dev.bulwark.detectors.ProcessorTests.forwarded;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.ProcessorTests;
import dev.bulwark.detectors.StateSerde;
import dev.bulwark.detectors.state.ImageProfile;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.Endpoint;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;

/** {@link BehaviourBaselineProcessor} with MockProcessorContext: learning, the bound, expiry and restarts. */
class BehaviourBaselineProcessorTest {

    static final String STORE = "behaviour-baseline-profiles";
    static final String IMAGE = "docker.io/library/nginx:1.25";
    static final Duration LEARNING = Duration.ofHours(1);
    static final Duration TTL = Duration.ofDays(7);
    static final long T0 = 1_700_000_000_000L;

    MockProcessorContext<String, Finding> context = new MockProcessorContext<>();
    final KeyValueStore<String, ImageProfile> store = ProcessorTests.store(context, STORE, Serdes.String(),
            StateSerde.imageProfiles());

    BehaviourBaselineProcessor start(int maxItems) {
        BehaviourBaselineProcessor processor = new BehaviourBaselineProcessor(STORE, LEARNING, TTL, maxItems,
                ProcessorTests.findings("behaviour-baseline"));
        processor.init(context);
        return processor;
    }

    static SecurityEvent.Builder event(long millis) {
        return SecurityEvent.newBuilder().setId("e-" + millis).setTimestamp(millis * 1_000_000L).setSourceFormat("falco")
                .setContainer(ContainerInfo.newBuilder().setId("c1").setImageName("nginx").setImageTag("1.25").build());
    }

    static Record<String, SecurityEvent> started(String executable, long millis) {
        SecurityEvent event = event(millis).setEvent(EventInfo.newBuilder().setType(List.of("start")).build())
                .setProcess(ProcessInfo.newBuilder().setExecutable(executable).build()).build();
        return new Record<>(IMAGE, event, millis);
    }

    static Record<String, SecurityEvent> connected(String ip, int port, long millis) {
        SecurityEvent event = event(millis).setEvent(EventInfo.newBuilder().setType(List.of("connection")).build())
                .setDestination(Endpoint.newBuilder().setIp(ip).setPort(port).build()).build();
        return new Record<>(IMAGE, event, millis);
    }

    /** What a finding reports as new: the value of its {@code baseline.executable} or {@code baseline.destination}. */
    static String baselineItem(Finding finding) {
        return finding.getEvidence().getFields().entrySet().stream().filter(e -> e.getKey().startsWith("baseline."))
                .map(java.util.Map.Entry::getValue).findFirst().orElse(null);
    }

    @Test
    void anImageIsLearnedSilentlyThenEachNewItemIsReportedOnce() {
        BehaviourBaselineProcessor processor = start(500);
        processor.process(started("/usr/sbin/nginx", T0));
        processor.process(connected("10.0.0.5", 5432, T0 + LEARNING.toMillis() - 1));
        assertThat(context.forwarded()).as("learning").isEmpty();

        processor.process(started("/usr/sbin/nginx", T0 + LEARNING.toMillis()));
        processor.process(started("/usr/bin/nc", T0 + LEARNING.toMillis()));
        processor.process(started("/usr/bin/nc", T0 + LEARNING.toMillis() + 1));
        assertThat(forwarded(context)).singleElement().satisfies(f -> {
            assertThat(f.getEvidence().getFields()).containsEntry("baseline.executable", "/usr/bin/nc")
                    .containsEntry("image", IMAGE);
            assertThat(f.getSeverity()).isEqualTo("medium");
        });
        assertThat(store.get(IMAGE)).isEqualTo(new ImageProfile(T0, T0 + LEARNING.toMillis() + 1,
                List.of("/usr/bin/nc", "/usr/sbin/nginx"), List.of("10.0.0.5:5432")));
    }

    @Test
    void aKindThatReachedTheBoundLearnsAndReportsNothingMore() {
        BehaviourBaselineProcessor processor = start(2);
        long learned = T0 + LEARNING.toMillis();
        processor.process(started("/bin/a", T0));
        processor.process(started("/bin/b", learned));
        processor.process(started("/bin/c", learned + 1));
        processor.process(connected("10.0.0.9", 443, learned + 2));

        assertThat(forwarded(context)).extracting(BehaviourBaselineProcessorTest::baselineItem)
                .as("/bin/c came when executables were full; destinations still had room")
                .containsExactly("/bin/b", "10.0.0.9:443");
        assertThat(store.get(IMAGE).getExecutables()).containsExactly("/bin/a", "/bin/b");
        assertThat(store.get(IMAGE).getLastSeen()).as("seen, though not learned").isEqualTo(learned + 2);
    }

    @Test
    void profilesIdleForLongerThanTheTtlAreDroppedAndTheImageIsLearnedAgain() {
        BehaviourBaselineProcessor processor = start(500);
        var punctuator = ProcessorTests.punctuator(context, PunctuationType.STREAM_TIME);
        assertThat(punctuator.getInterval()).isEqualTo(Duration.ofMinutes(10));
        processor.process(started("/usr/sbin/nginx", T0));

        punctuator.getPunctuator().punctuate(T0 + TTL.toMillis());
        assertThat(store.get(IMAGE)).as("idle exactly the TTL").isNotNull();
        punctuator.getPunctuator().punctuate(T0 + TTL.toMillis() + 1);
        assertThat(store.get(IMAGE)).isNull();

        processor.process(started("/usr/bin/nc", T0 + TTL.toMillis() + 2));
        assertThat(context.forwarded()).as("a new profile, learning again").isEmpty();
        assertThat(store.get(IMAGE).getFirstSeen()).isEqualTo(T0 + TTL.toMillis() + 2);
    }

    @Test
    void aRestartedProcessorGoesOnFromTheStoredProfile() {
        start(500).process(started("/usr/sbin/nginx", T0));

        context = new MockProcessorContext<>();
        context.addStateStore(store);
        BehaviourBaselineProcessor restarted = start(500);
        restarted.process(started("/usr/sbin/nginx", T0 + LEARNING.toMillis()));
        assertThat(context.forwarded()).as("known before the restart").isEmpty();
        restarted.process(started("/usr/bin/nc", T0 + LEARNING.toMillis()));
        assertThat(forwarded(context)).as("the learning period counts from the first event before the restart")
                .singleElement().satisfies(f -> assertThat(f.getEvidence().getFields())
                        .containsEntry("baseline.executable", "/usr/bin/nc"));
    }
}
